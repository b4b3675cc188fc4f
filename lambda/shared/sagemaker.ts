/** SageMaker answers a missing endpoint, endpoint config or model with a ValidationException "Could not find ...". */
export const isMissing = (error: unknown): boolean =>
  (error as { name?: string })?.name === 'ValidationException' && /could not find/i.test(String((error as Error).message));
