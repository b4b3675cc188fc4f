import { DeleteEndpointCommand, DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { isMissing } from '../../lambda/shared/sagemaker';
import { answeringHttp, type HttpReply } from '../support/sdk-client';

/**
 * lambda/shared/sagemaker.ts on its own: which SageMaker errors mean "not there", read from errors
 * the real client raises for replies answered from memory (the SDK reads the error type and message).
 */

afterEach(() => jest.restoreAllMocks());

/** SageMaker's error reply (JSON 1.1: the type in `__type`). */
const sagemakerError = (type: string, message: string): HttpReply => ({ status: 400, body: { __type: type, message } });

async function raised(reply: HttpReply, command: DescribeEndpointCommand | DeleteEndpointCommand): Promise<unknown> {
  const client = new SageMakerClient({ region: 'us-east-1', maxAttempts: 1 });
  answeringHttp(client, () => reply);
  return client.send(command as DescribeEndpointCommand).then(
    () => undefined,
    (error: unknown) => error,
  );
}

test('a missing endpoint, endpoint config or model is missing', async () => {
  const describe = new DescribeEndpointCommand({ EndpointName: 'churn' });
  const remove = new DeleteEndpointCommand({ EndpointName: 'churn' });
  const endpoint = await raised(
    sagemakerError('ValidationException', 'Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn".'),
    describe,
  );
  expect(endpoint).toMatchObject({ name: 'ValidationException' });
  expect(isMissing(endpoint)).toBe(true);
  expect(isMissing(await raised(sagemakerError('ValidationException', 'Could not find endpoint configuration "churn-v2".'), remove))).toBe(true);
  expect(isMissing(await raised(sagemakerError('ValidationException', 'Could not find model "churn-model".'), remove))).toBe(true);
});

test('other validation errors, other errors that say "could not find", and non-errors are not', async () => {
  const describe = new DescribeEndpointCommand({ EndpointName: 'churn' });
  expect(isMissing(await raised(sagemakerError('ValidationException', 'Cannot update in-progress endpoint "churn".'), describe))).toBe(false);
  expect(isMissing(await raised(sagemakerError('ResourceNotFound', 'Could not find endpoint "churn".'), describe))).toBe(false);
  expect(isMissing(await raised({ status: 500, body: { __type: 'InternalFailure', message: 'Could not find a worker' } }, describe))).toBe(false);
  for (const value of [undefined, null, 'Could not find endpoint', { message: 'Could not find endpoint' }]) {
    expect(isMissing(value)).toBe(false);
  }
});
