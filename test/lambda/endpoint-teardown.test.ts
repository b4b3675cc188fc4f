import { onEvent, teardown } from '../../lambda/endpoint-teardown/core';
import { SageMakerFake } from '../support/sagemaker-fake';

let fake: SageMakerFake;
let handler: typeof import('../../lambda/endpoint-teardown/handler').handler;
beforeAll(async () => {
  fake = await SageMakerFake.start();
  fake.exportEndpoints();
  ({ handler } = await import('../../lambda/endpoint-teardown/handler'));
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.reset();
  fake.endpoints.set('churn', { name: 'churn', configName: 'churn-b', status: 'InService' });
  for (const name of ['churn-a', 'churn-b', 'other-churn-c', 'churnx-d']) {
    fake.endpointConfigs.set(name, {});
    fake.models.add(name);
  }
});

const event = (RequestType: 'Create' | 'Update' | 'Delete', EndpointName: unknown = 'churn') => ({
  RequestType,
  PhysicalResourceId: RequestType === 'Create' ? undefined : 'churn',
  ResourceProperties: { EndpointName },
});

describe('endpoint teardown (custom resource, real SageMaker client against a fake)', () => {
  test('Delete removes the endpoint and the configs and models the pipeline named <endpoint>-*, and nothing else', async () => {
    const result = await handler(event('Delete'));
    expect(result).toEqual({ PhysicalResourceId: 'churn', Data: { EndpointDeleted: true, Deleted: 4 } });
    expect(fake.endpoints.size).toBe(0);
    expect([...fake.endpointConfigs.keys()].sort()).toEqual(['churnx-d', 'other-churn-c']);
    expect([...fake.models].sort()).toEqual(['churnx-d', 'other-churn-c']);
  });

  test('Delete when the pipeline never ran: nothing to delete, no failure', async () => {
    fake.reset();
    expect(await handler(event('Delete'))).toEqual({ PhysicalResourceId: 'churn', Data: { EndpointDeleted: false, Deleted: 0 } });
  });

  test('Create and Update delete nothing and record the endpoint name', async () => {
    expect(await handler(event('Create'))).toEqual({ PhysicalResourceId: 'churn' });
    expect(await handler(event('Update'))).toEqual({ PhysicalResourceId: 'churn' });
    expect(fake.calls).toEqual([]);
    expect(fake.endpoints.size).toBe(1);
  });

  test('a throttled delete is retried by the client', async () => {
    fake.enqueue('DeleteEndpoint', { kind: 'error', status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    await handler(event('Delete'));
    expect(fake.count('DeleteEndpoint')).toBe(2);
    expect(fake.endpoints.size).toBe(0);
  });

  test('an access failure fails the operation (CloudFormation reports it) instead of passing silently', async () => {
    fake.enqueue('DeleteEndpoint', { kind: 'error', status: 400, type: 'AccessDeniedException', message: 'not authorized' });
    await expect(handler(event('Delete'))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  test('fails when the endpoint name is not a SageMaker name', async () => {
    await expect(onEvent(event('Create', 'bad name!'), {} as never)).rejects.toThrow('EndpointName must be a SageMaker endpoint name, got "bad name!"');
  });

  test('teardown core: endpoint first, then configs, then models', async () => {
    const order: string[] = [];
    await teardown('e', {
      deleteEndpoint: async (n) => (order.push(`endpoint ${n}`), true),
      listEndpointConfigs: async () => ['e-1', 'x-e-2'],
      listModels: async () => ['e-1'],
      deleteEndpointConfig: async (n) => void order.push(`config ${n}`),
      deleteModel: async (n) => void order.push(`model ${n}`),
    });
    expect(order).toEqual(['endpoint e', 'config e-1', 'model e-1']);
  });
});
