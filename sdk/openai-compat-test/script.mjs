// Drives the gateway's OpenAI drop-in with the official, unmodified `openai`
// client: a chat completion, a streamed chat completion and an embedding, then
// a prompt the pipeline refuses. Prints one JSON object on stdout.
//
// Environment: ASTRA_BASE_URL (…/api/v1/gateway/openai/v1), ASTRA_API_KEY
// (ab_live_…), ASTRA_CHAT_MODEL, ASTRA_EMBED_MODEL, ASTRA_BLOCKED_PROMPT.
import OpenAI from 'openai';
import { env } from '../compat-common.mjs';


const client = new OpenAI({ apiKey: env('ASTRA_API_KEY'), baseURL: env('ASTRA_BASE_URL'), maxRetries: 0, timeout: 30_000 });
const model = env('ASTRA_CHAT_MODEL');
const out = {};

// 1. A chat completion, with the raw response for the X-Astra-* headers.
const { data: completion, response } = await client.chat.completions
  .create({ model, messages: [{ role: 'user', content: 'Say hello from the loopback provider.' }] })
  .withResponse();
out.chat = {
  id: completion.id,
  object: completion.object,
  content: completion.choices[0].message.content,
  finish_reason: completion.choices[0].finish_reason,
  usage: completion.usage,
  headers: {
    request_id: response.headers.get('x-astra-request-id'),
    injection_score: response.headers.get('x-astra-injection-score'),
    provider: response.headers.get('x-astra-provider'),
    cache: response.headers.get('x-astra-cache'),
  },
};

// 2. A streamed chat completion: for await over the chunks.
const stream = await client.chat.completions.create({
  model,
  stream: true,
  stream_options: { include_usage: true },
  messages: [{ role: 'user', content: 'Stream a short answer, please.' }],
});
let text = '';
let chunks = 0;
let finish = null;
let usage = null;
for await (const chunk of stream) {
  chunks++;
  const choice = chunk.choices?.[0];
  if (choice?.delta?.content) text += choice.delta.content;
  if (choice?.finish_reason) finish = choice.finish_reason;
  if (chunk.usage) usage = chunk.usage;
}
out.stream = { text, chunks, finish_reason: finish, usage };

// 3. An embedding.
const emb = await client.embeddings.create({ model: env('ASTRA_EMBED_MODEL'), input: 'vectorise me' });
out.embedding = {
  object: emb.object,
  count: emb.data.length,
  length: emb.data[0].embedding.length,
  vector: Array.from(emb.data[0].embedding),
  model: emb.model,
  usage: emb.usage,
};

// 4. A prompt the pipeline blocks surfaces as the SDK's APIError.
try {
  await client.chat.completions.create({ model, messages: [{ role: 'user', content: env('ASTRA_BLOCKED_PROMPT') }] });
  out.blocked = { thrown: false };
} catch (err) {
  out.blocked = {
    thrown: true,
    api_error: err instanceof OpenAI.APIError,
    status: err.status,
    code: err.code ?? null,
    type: err.type ?? null,
    message: err.message,
  };
}

process.stdout.write(JSON.stringify(out) + '\n');
