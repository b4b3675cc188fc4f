/**
 * What the model-call block (lib/constructs/model-call) and its functions (lambda/prompt,
 * lambda/chat-stream, lambda/openai) must agree on. Dependency-free.
 */

/**
 * Most messages one chat request may hold, on `POST /chat/stream` and `POST /v1/chat/completions`:
 * API Gateway's request model refuses more, and the functions check the same number.
 */
export const MAX_CHAT_MESSAGES = 50;

/**
 * Environment variable of the streaming chat function: JSON `{inputPerMTok, outputPerMTok}`, the
 * USD price per million tokens of its model (for the usage record's CostUsd).
 */
export const MODEL_PRICE_ENV = 'MODEL_PRICE';
