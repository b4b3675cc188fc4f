/**
 * Removes what the training pipeline created outside CloudFormation when the stack is deleted:
 * the endpoint (stable name), then the endpoint configs and models named `<endpoint>-<run id>`.
 */

export interface SageMakerPort {
  /** Deletes the endpoint; false when it did not exist. */
  deleteEndpoint(name: string): Promise<boolean>;
  /** Names of endpoint configs / models whose name contains `text` (every page). */
  listEndpointConfigs(text: string): Promise<string[]>;
  listModels(text: string): Promise<string[]>;
  deleteEndpointConfig(name: string): Promise<void>;
  deleteModel(name: string): Promise<void>;
}

export interface TeardownResult {
  readonly endpointDeleted: boolean;
  readonly endpointConfigs: string[];
  readonly models: string[];
}

export async function teardown(endpointName: string, port: SageMakerPort): Promise<TeardownResult> {
  const prefix = `${endpointName}-`;
  const ours = (names: string[]) => names.filter((n) => n.startsWith(prefix));
  // The endpoint first: SageMaker keeps serving from a config only while the endpoint exists.
  const endpointDeleted = await port.deleteEndpoint(endpointName);
  const endpointConfigs = ours(await port.listEndpointConfigs(prefix));
  for (const name of endpointConfigs) await port.deleteEndpointConfig(name);
  const models = ours(await port.listModels(prefix));
  for (const name of models) await port.deleteModel(name);
  return { endpointDeleted, endpointConfigs, models };
}

/** The custom resource event fields this provider reads. */
export interface TeardownEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: { readonly EndpointName?: unknown };
}

/**
 * Create and Update only record the endpoint name (the physical id); Delete tears down. A changed
 * name gets a new physical id, so CloudFormation deletes the old one, which tears the old endpoint down.
 */
export async function onEvent(event: TeardownEvent, port: SageMakerPort): Promise<{ PhysicalResourceId: string; Data?: Record<string, unknown> }> {
  const name = event.ResourceProperties?.EndpointName;
  if (typeof name !== 'string' || !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(name)) {
    throw new Error(`EndpointName must be a SageMaker endpoint name, got ${JSON.stringify(name)}`);
  }
  if (event.RequestType !== 'Delete') return { PhysicalResourceId: name };
  const result = await teardown(event.PhysicalResourceId ?? name, port);
  return {
    PhysicalResourceId: event.PhysicalResourceId ?? name,
    Data: { EndpointDeleted: result.endpointDeleted, Deleted: result.endpointConfigs.length + result.models.length },
  };
}
