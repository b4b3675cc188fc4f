import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { BedrockModel, Guardrail, KnowledgeBase, MODEL_CATALOG, ModelApi, ModelCall } from 'genai-blueprint';

/**
 * Retrieval-augmented answers behind a guardrail, from four genai-blueprint blocks: an IAM-auth
 * REST API, a knowledge base (documents bucket → S3 Vectors), a guardrail on input and output,
 * and the model call that wires them on `POST /prompt`.
 */
export class MyGenAiStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const api = new ModelApi(this, 'Api');
    // True of this app: only IAM-signed callers of this account reach the API.
    api.acknowledgeNoWebAcl('No WAF web ACL: the API takes IAM-signed (SigV4) requests of this account only, and has no public caller');
    const knowledgeBase = new KnowledgeBase(this, 'KnowledgeBase', { embeddingModel: MODEL_CATALOG['titan-embed-text-v2'] });
    const guardrail = new Guardrail(this, 'Guardrail', {
      deniedTopics: [{ name: 'Investment advice', definition: 'Recommendations about buying or selling financial products.' }],
    });
    new ModelCall(this, 'ModelCall', {
      api,
      model: new BedrockModel(MODEL_CATALOG['nova-lite'], 'us'),
      retrieval: { knowledgeBase },
      guardrail,
    });
  }
}
