import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * A block that serves routes of the API: what a composition collects from it (the functions a
 * dashboard watches, the methods a gateway meters) instead of keeping hand-written lists.
 */
export interface IRouteBlock {
  /** The functions that answer this block's routes (on the request path). */
  readonly routeFunctions: readonly lambda.IFunction[];
  /** The methods this block added to the API. */
  readonly methods: readonly apigateway.Method[];
}

/** A block with alarms of its own, for a composition to route to its alarm topic. */
export interface IAlarmSource {
  /** Alarms a topic can be added to as an action. */
  readonly alarms: readonly cloudwatch.AlarmBase[];
}
