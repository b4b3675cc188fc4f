import type { Order } from './core';

/**
 * The layout of the agent's table, shared by the handler and the construct that seeds it: one
 * partition key that starts with the tenant, so no query of one tenant can reach another's items.
 */
export const orderKey = (tenant: string, orderId: string) => `${tenant}#ORDER#${orderId}`;
export const ticketKey = (tenant: string, ticketId: string) => `${tenant}#TICKET#${ticketId}`;

/** Written for every configured tenant at deploy, so a fresh stack has something to look up. */
export const DEMO_ORDERS: readonly Order[] = [
  {
    orderId: 'ORD-1001',
    status: 'delivered',
    items: [{ name: 'Trail running shoes', quantity: 1, unitPrice: '129.90' }],
    total: '129.90',
    currency: 'EUR',
    placedOn: '2026-10-02',
  },
  {
    orderId: 'ORD-1002',
    status: 'shipped',
    items: [
      { name: 'Merino socks', quantity: 3, unitPrice: '14.95' },
      { name: 'Water bottle', quantity: 2, unitPrice: '19.99' },
    ],
    total: '84.83',
    currency: 'EUR',
    placedOn: '2026-11-18',
    expectedDelivery: '2026-11-27',
  },
  {
    orderId: 'ORD-1003',
    status: 'processing',
    items: [{ name: 'Rain jacket', quantity: 1, unitPrice: '249.00' }],
    total: '249.00',
    currency: 'EUR',
    placedOn: '2026-11-24',
    expectedDelivery: '2026-12-03',
  },
];
