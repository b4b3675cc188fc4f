export * from './acknowledgements';
export * from './approvals';
export * from './delivery-pipeline-stack';
export * from './smoke-check-access';
export * from './stages';
