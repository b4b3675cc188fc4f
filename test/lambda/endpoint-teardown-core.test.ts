import { onEvent, type SageMakerPort, teardown, type TeardownEvent } from '../../lambda/endpoint-teardown/core';

/**
 * The teardown custom resource's core with an in-memory SageMaker: what is deleted, in which order,
 * what CloudFormation gets back, and which endpoint names are refused. The handler test
 * (endpoint-teardown.test.ts) runs it through the real SageMaker client against a local fake.
 */

/** SageMaker's resources as names; every call is recorded in order. */
class InMemorySageMaker implements SageMakerPort {
  readonly calls: string[] = [];
  constructor(
    readonly endpoints = new Set<string>(),
    readonly endpointConfigs = new Set<string>(),
    readonly models = new Set<string>(),
  ) {}
  async deleteEndpoint(name: string) {
    this.calls.push(`deleteEndpoint ${name}`);
    return this.endpoints.delete(name);
  }
  // NameContains, as SageMaker's List* APIs match: anywhere in the name.
  async listEndpointConfigs(text: string) {
    this.calls.push(`listEndpointConfigs ${text}`);
    return [...this.endpointConfigs].filter((n) => n.includes(text));
  }
  async listModels(text: string) {
    this.calls.push(`listModels ${text}`);
    return [...this.models].filter((n) => n.includes(text));
  }
  async deleteEndpointConfig(name: string) {
    this.calls.push(`deleteEndpointConfig ${name}`);
    this.endpointConfigs.delete(name);
  }
  async deleteModel(name: string) {
    this.calls.push(`deleteModel ${name}`);
    this.models.delete(name);
  }
}

/** What a training pipeline leaves behind for endpoint `churn`, next to names that only look like it. */
const pipelineLeftovers = () =>
  new InMemorySageMaker(
    new Set(['churn', 'churn-x']),
    new Set(['churn-a', 'churn-b', 'other-churn-c', 'churnx-d', 'churn']),
    new Set(['churn-a', 'other-churn-c', 'churnx-d']),
  );

const event = (RequestType: TeardownEvent['RequestType'], EndpointName: unknown, PhysicalResourceId?: string): TeardownEvent => ({
  RequestType,
  PhysicalResourceId,
  ResourceProperties: { EndpointName },
});

describe('teardown', () => {
  test('deletes the endpoint, then its configs, then its models: only those named <endpoint>-*', async () => {
    const sagemaker = pipelineLeftovers();
    expect(await teardown('churn', sagemaker)).toEqual({ endpointDeleted: true, endpointConfigs: ['churn-a', 'churn-b'], models: ['churn-a'] });
    expect(sagemaker.calls).toEqual([
      'deleteEndpoint churn',
      'listEndpointConfigs churn-',
      'deleteEndpointConfig churn-a',
      'deleteEndpointConfig churn-b',
      'listModels churn-',
      'deleteModel churn-a',
    ]);
    expect([...sagemaker.endpoints]).toEqual(['churn-x']);
    expect([...sagemaker.endpointConfigs]).toEqual(['other-churn-c', 'churnx-d', 'churn']);
    expect([...sagemaker.models]).toEqual(['other-churn-c', 'churnx-d']);
  });

  test('nothing to delete when the pipeline never ran', async () => {
    const sagemaker = new InMemorySageMaker();
    expect(await teardown('churn', sagemaker)).toEqual({ endpointDeleted: false, endpointConfigs: [], models: [] });
    expect(sagemaker.calls).toEqual(['deleteEndpoint churn', 'listEndpointConfigs churn-', 'listModels churn-']);
  });

  test('a failed delete stops the teardown and reaches the caller', async () => {
    const sagemaker = pipelineLeftovers();
    sagemaker.deleteEndpointConfig = async (name) => {
      throw new Error(`AccessDenied on ${name}`);
    };
    await expect(teardown('churn', sagemaker)).rejects.toThrow('AccessDenied on churn-a');
    expect(sagemaker.models.has('churn-a')).toBe(true);
  });
});

describe('onEvent', () => {
  test('Create and Update record the endpoint name as the physical id and delete nothing', async () => {
    const sagemaker = pipelineLeftovers();
    expect(await onEvent(event('Create', 'churn'), sagemaker)).toEqual({ PhysicalResourceId: 'churn' });
    expect(await onEvent(event('Update', 'churn-2', 'churn'), sagemaker)).toEqual({ PhysicalResourceId: 'churn-2' });
    expect(sagemaker.calls).toEqual([]);
  });

  test('Delete tears down the endpoint of the physical id and reports how much it deleted', async () => {
    const sagemaker = pipelineLeftovers();
    expect(await onEvent(event('Delete', 'churn', 'churn'), sagemaker)).toEqual({ PhysicalResourceId: 'churn', Data: { EndpointDeleted: true, Deleted: 3 } });
    expect(sagemaker.endpoints.has('churn')).toBe(false);
  });

  test('Delete after a rename tears down the old endpoint (the physical id), not the new name', async () => {
    const sagemaker = pipelineLeftovers();
    expect(await onEvent(event('Delete', 'renamed', 'churn'), sagemaker)).toEqual({ PhysicalResourceId: 'churn', Data: { EndpointDeleted: true, Deleted: 3 } });
    expect(sagemaker.calls[0]).toBe('deleteEndpoint churn');
  });

  test('Delete without a physical id uses the endpoint name', async () => {
    const sagemaker = pipelineLeftovers();
    expect(await onEvent(event('Delete', 'churn'), sagemaker)).toEqual({ PhysicalResourceId: 'churn', Data: { EndpointDeleted: true, Deleted: 3 } });
    expect(await onEvent(event('Delete', 'churn'), sagemaker)).toEqual({ PhysicalResourceId: 'churn', Data: { EndpointDeleted: false, Deleted: 0 } });
  });

  test.each(['a', 'A1', 'a-b', 'a--b', `a${'b'.repeat(62)}`, 'churn-2024'])('accepts the SageMaker endpoint name %j', async (name) => {
    expect(await onEvent(event('Create', name), new InMemorySageMaker())).toEqual({ PhysicalResourceId: name });
  });

  test.each([
    ['', '""'],
    ['-a', '"-a"'],
    ['a-', '"a-"'],
    ['a_b', '"a_b"'],
    ['bad name!', '"bad name!"'],
    [`a${'b'.repeat(63)}`, `"a${'b'.repeat(63)}"`],
    ['x\nchurn', '"x\\nchurn"'],
    ['churn\n', '"churn\\n"'],
    [42, '42'],
    [undefined, 'undefined'],
  ])('fails when the endpoint name is %j, naming it', async (name, shown) => {
    const sagemaker = pipelineLeftovers();
    await expect(onEvent(event('Delete', name, 'churn'), sagemaker)).rejects.toThrow(`EndpointName must be a SageMaker endpoint name, got ${shown}`);
    expect(sagemaker.calls).toEqual([]);
  });

  test('fails naming the endpoint name when the event has no resource properties', async () => {
    const withoutProperties = { RequestType: 'Delete', PhysicalResourceId: 'churn' } as unknown as TeardownEvent;
    await expect(onEvent(withoutProperties, new InMemorySageMaker())).rejects.toThrow('EndpointName must be a SageMaker endpoint name, got undefined');
  });
});
