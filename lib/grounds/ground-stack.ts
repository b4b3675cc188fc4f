import { Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Construct } from 'constructs';
import type { BlueprintConfig } from '../config/schema';
import { Agent } from '../constructs/agent/agent';
import { AgentRoute } from '../constructs/agent/agent-route';
import { ModelApi } from '../constructs/api/model-api';
import { UserAuth } from '../constructs/auth/user-auth';
import { IsolatedNetwork } from '../constructs/cache/isolated-network';
import { ResponseCache } from '../constructs/cache/response-cache';
import { Feedback } from '../constructs/feedback/feedback';
import { ModelGateway } from '../constructs/gateway/model-gateway';
import { stageWebAcl } from '../constructs/gateway/web-acl';
import { Guardrail } from '../constructs/guardrail/guardrail';
import { KnowledgeBase } from '../constructs/knowledge-base/knowledge-base';
import { ModelCall } from '../constructs/model-call/model-call';
import { InvocationLogging } from '../constructs/observability/invocation-logging';
import { Observability } from '../constructs/observability/observability';
import { DocumentPipeline } from '../constructs/orchestration/document-pipeline';
import { PredictiveMl } from '../constructs/predictive-ml/predictive-ml';
import { ManagedPrompt } from '../constructs/prompt-library/managed-prompt';
import { SessionStore } from '../constructs/sessions/session-store';
import type { IRouteBlock } from '../constructs/shared/routes';
import {
  agentProps,
  agentRouteProps,
  bedrockModel,
  documentPipelineProps,
  feedbackProps,
  gatewayTenants,
  guardrailProps,
  invocationLoggingProps,
  isolatedNetworkProps,
  knowledgeBaseProps,
  managedPromptProps,
  modelApiProps,
  modelCallProps,
  modelGatewayProps,
  observabilitySettings,
  predictiveMlSettings,
  vpcEndpointServices,
  webAclSettings,
  responseCacheProps,
  routedModels,
  sessionStoreProps,
  userAuthProps,
} from './props';

/** The grounds that exist, lowest first. A ground holds its own block and every block below it. */
export const GROUNDS = [
  { ground: 0, stackId: 'Ground0-ModelCall', block: 'a model call' },
  { ground: 1, stackId: 'Ground1-PromptManagement', block: 'prompt management' },
  { ground: 2, stackId: 'Ground2-KnowledgeBase', block: 'an external knowledge base (RAG)' },
  { ground: 3, stackId: 'Ground3-Guardrails', block: 'guardrails on input and output' },
  { ground: 4, stackId: 'Ground4-Gateway', block: 'a model router and gateway' },
  { ground: 5, stackId: 'Ground5-Caches', block: 'exact and semantic caches' },
  { ground: 6, stackId: 'Ground6-Agents', block: 'an agent with action groups' },
  { ground: 7, stackId: 'Ground7-FullSystem', block: 'the full system: auth, sessions, observability, orchestration, human feedback' },
] as const;

export type GroundNumber = (typeof GROUNDS)[number]['ground'];

/** Resource types of the grounds whose Tags property is create-only (test/grounds/upgrade.test.ts checks every pair of grounds). */
export const REPLACED_BY_TAG_CHANGE = ['AWS::Bedrock::PromptVersion'];

export interface GroundStackProps extends StackProps {
  readonly ground: GroundNumber;
  readonly config: BlueprintConfig;
}

/**
 * One ground: wiring only. Blocks keep their construct ids whatever the ground, so deploying
 * ground N+1 over ground N (same stack name) is an in-place update that keeps stored data.
 */
export class GroundStack extends Stack {
  public readonly api: ModelApi;
  public readonly modelCall: ModelCall;
  public readonly prompt?: ManagedPrompt;
  public readonly knowledgeBase?: KnowledgeBase;
  public readonly guardrail?: Guardrail;
  public readonly gateway?: ModelGateway;
  public readonly network?: IsolatedNetwork;
  public readonly cache?: ResponseCache;
  public readonly agent?: Agent;
  public readonly agentRoute?: AgentRoute;
  public readonly auth?: UserAuth;
  public readonly sessions?: SessionStore;
  public readonly feedback?: Feedback;
  public readonly observability?: Observability;
  public readonly invocationLogging?: InvocationLogging;
  public readonly documentPipeline?: DocumentPipeline;
  public readonly predictiveMl?: PredictiveMl;

  constructor(scope: Construct, id: string, props: GroundStackProps) {
    const { config, ground } = props;
    super(scope, id, {
      ...props,
      stackName: props.stackName ?? config.stackName,
      description: `genai-blueprint ground ${ground}: ${GROUNDS[ground].block}`,
    });
    Tags.of(this).add('app', 'genai-blueprint');
    // A tag whose value changes with the ground must stay off resources whose Tags CloudFormation
    // cannot update ("Update requires: Replacement"): a PromptVersion would be cut anew every ground.
    // Lambda functions may carry it: Tags are not among the properties a published version hashes.
    Tags.of(this).add('ground', String(ground), { excludeResourceTypes: REPLACED_BY_TAG_CHANGE });

    const model = bedrockModel(config, config.model.alias);

    // Ground 7 puts Cognito in front of every route (created first: the API's default authorizer).
    const auth = (this.auth = ground >= 7 ? new UserAuth(this, 'Auth', userAuthProps(config)) : undefined);
    // Ground 0: a model call.
    const api = (this.api = new ModelApi(this, 'Api', modelApiProps(config, auth)));
    const regulated = config.compliance === 'regulated';
    if (ground < 4 && regulated) {
      // The regulated profile's edge below ground 4: the gateway's web ACL alone, under the gateway's
      // construct id, so that ground 4's ModelGateway takes it over with the same logical ids.
      stageWebAcl(new Construct(this, 'Gateway'), api.restApi.deploymentStage, webAclSettings(config));
    } else if (ground < 4) {
      api.acknowledgeNoWebAcl(
        'Grounds 0-3 have no WAF web ACL: only IAM-signed callers of this account reach the API; the gateway of ground 4 associates one with this stage',
      );
    }
    // Grounds 1-3: prompt management, an external knowledge base, guardrails.
    if (ground >= 1) this.prompt = new ManagedPrompt(this, 'Prompt', managedPromptProps(config, model));
    if (ground >= 2) this.knowledgeBase = new KnowledgeBase(this, 'KnowledgeBase', knowledgeBaseProps(config));
    if (ground >= 3) this.guardrail = new Guardrail(this, 'Guardrail', guardrailProps(config));
    // Ground 4: the gateway (tenants, usage plans, WAF, per-tenant inference profiles) and the router.
    const gateway = (this.gateway = ground >= 4 ? new ModelGateway(this, 'Gateway', modelGatewayProps(config, api, { model, scope: this })) : undefined);
    // Ground 5: an isolated network and the cache in it. The regulated profile runs every function in
    // that network, so it has one on every ground (same id: going up to ground 5 keeps it), with an
    // endpoint for each AWS API the ground's functions call.
    if (ground >= 5 || regulated) {
      this.network = new IsolatedNetwork(this, 'Network', isolatedNetworkProps(config, regulated ? vpcEndpointServices(config, ground) : undefined));
    }
    if (ground >= 5 && this.network) this.cache = new ResponseCache(this, 'Cache', responseCacheProps(config, this.network));
    const tenants = gatewayTenants(config, model, gateway, auth);
    // Ground 7: conversation history and human feedback.
    if (ground >= 7) {
      this.sessions = new SessionStore(this, 'Sessions', sessionStoreProps(config, api, tenants));
      this.feedback = new Feedback(this, 'Feedback', feedbackProps(config, api, tenants));
    }
    // The request path, with whatever blocks this ground has.
    this.modelCall = new ModelCall(this, 'ModelCall', modelCallProps(config, { ...this.blocks, api, model, tenants }));
    // Ground 6: an agent whose action groups compute exactly and look up the stack's own data.
    if (ground >= 6) {
      this.agent = new Agent(this, 'Agent', agentProps(config, this.blocks));
      this.agentRoute = new AgentRoute(this, 'AgentRoute', agentRouteProps(config, { api, agent: this.agent, tenants }));
    }
    // The routes the gateway meters, in the order their API key requirements are folded into the deployment.
    const routes: IRouteBlock[] = [this.modelCall, this.agentRoute, this.sessions, this.feedback].filter((r) => r !== undefined);

    // Ground 7: predictive ML beside the model, then watch and orchestrate everything above.
    if (ground >= 7) {
      // PredictiveMl requires its own API key (it also stands alone in the PredictiveMl stack).
      this.predictiveMl = new PredictiveMl(this, 'PredictiveMl', { api, gateway, ...predictiveMlSettings(config) });
      const observability = (this.observability = new Observability(this, 'Observability', {
        ...observabilitySettings(config),
        api,
        functions: [...routes, this.predictiveMl].flatMap((r) => r.routeFunctions),
        models: routedModels(config, gateway !== undefined),
        cache: this.cache,
        guardrail: this.guardrail,
        sessions: this.sessions,
        feedback: this.feedback,
      }));
      // The blocks' own alarms notify the same topic.
      const notify = new cloudwatchActions.SnsAction(observability.topic);
      for (const block of [this.feedback, this.knowledgeBase]) for (const alarm of block?.alarms ?? []) alarm.addAlarmAction(notify);
      const logging = invocationLoggingProps(config);
      if (logging) this.invocationLogging = new InvocationLogging(this, 'InvocationLogging', logging);
      if (this.knowledgeBase) {
        this.documentPipeline = new DocumentPipeline(
          this,
          'DocumentPipeline',
          documentPipelineProps(config, { knowledgeBase: this.knowledgeBase, topic: observability.topic }),
        );
      }
    }

    if (gateway) {
      // Every route meters and throttles per tenant, whichever ground added it.
      gateway.requireApiKeys(routes.flatMap((r) => r.methods));
      gateway.grantInvokeProfiles(this.modelCall.promptFunction, { throughModel: model, invocation: 'buffered' });
      for (const fn of [this.modelCall.chatStreamFunction, this.modelCall.openAiFunction]) {
        if (fn) gateway.grantInvokeProfiles(fn, { throughModel: model, invocation: 'streamed' });
      }
    }
  }

  /** The blocks built so far that others consume, by the name their props use. */
  private get blocks() {
    return {
      prompt: this.prompt,
      knowledgeBase: this.knowledgeBase,
      guardrail: this.guardrail,
      gateway: this.gateway,
      network: this.network,
      cache: this.cache,
      sessions: this.sessions,
      feedback: this.feedback,
    };
  }
}
