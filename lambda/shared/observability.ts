import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * One Powertools setup for every function. Service name, namespace and log level come from the
 * environment the shared function construct sets (POWERTOOLS_*). Prompts and completions are
 * never logged at INFO.
 */
export const logger = new Logger();
export const metrics = new Metrics();
export const tracer = new Tracer();
