import { Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { BlueprintConfig } from '../config/schema';
import { ModelApi } from '../constructs/api/model-api';
import { IsolatedNetwork } from '../constructs/cache/isolated-network';
import { ModelGateway } from '../constructs/gateway/model-gateway';
import { PredictiveMl } from '../constructs/predictive-ml/predictive-ml';
import { isolatedNetworkProps, modelApiProps, modelGatewayProps, predictiveMlSettings, vpcEndpointServices } from './props';

export interface PredictiveMlStackProps extends StackProps {
  readonly config: BlueprintConfig;
}

/**
 * The PredictiveMl block deployed alone (`-c ground=ml`), beside any ground: its own API behind
 * the same kind of gateway as ground 4 (tenants' API keys, usage plans, WAF), without Bedrock.
 * Its CloudFormation stack is `<stackName>-PredictiveMl`, so it never replaces a ground's stack.
 */
export class PredictiveMlStack extends Stack {
  public readonly api: ModelApi;
  public readonly gateway: ModelGateway;
  public readonly predictiveMl: PredictiveMl;
  /** The regulated profile's network, where every function of the stack runs (none in the standard profile). */
  public readonly network?: IsolatedNetwork;

  constructor(scope: Construct, id: string, props: PredictiveMlStackProps) {
    const { config } = props;
    super(scope, id, {
      ...props,
      stackName: props.stackName ?? `${config.stackName}-PredictiveMl`,
      description: 'genai-blueprint PredictiveMl: a trained model with a quality-gated pipeline, served on POST /predict',
    });
    Tags.of(this).add('app', 'genai-blueprint');
    Tags.of(this).add('ground', 'ml');

    this.api = new ModelApi(this, 'Api', modelApiProps(config));
    this.gateway = new ModelGateway(this, 'Gateway', modelGatewayProps(config, this.api));
    if (config.compliance === 'regulated') {
      this.network = new IsolatedNetwork(this, 'Network', isolatedNetworkProps(config, vpcEndpointServices(config, 'ml')));
    }
    this.predictiveMl = new PredictiveMl(this, 'PredictiveMl', { api: this.api, gateway: this.gateway, ...predictiveMlSettings(config) });
  }
}
