import { z } from 'zod';

/** Ground 7 sections of the one configuration schema (lib/config/schema.ts); every key has a default. */
export const observabilitySchema = z.strictObject({});
export const pipelineSchema = z.strictObject({});
