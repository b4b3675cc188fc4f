import { z } from 'zod';

/** Section of the one configuration schema (lib/config/schema.ts); every key has a default. */
export const agentSchema = z.strictObject({});
