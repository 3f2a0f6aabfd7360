// Drives the drop-in with the official `openai` client through everything an
// agent sends: a tool-call round trip (plain and streamed) carrying every
// Chat Completions field, json_schema with strict, an image content part, an
// unknown field; then an unknown model and a kill-switched model. Prints one
// JSON object: what was sent, what came back, and the errors raised.
//
// Environment: ASTRA_BASE_URL, ASTRA_API_KEY, ASTRA_CHAT_MODEL, ASTRA_KILLED_MODEL.
import OpenAI from 'openai';
import { env, catcher } from '../compat-common.mjs';

const client = new OpenAI({ apiKey: env('ASTRA_API_KEY'), baseURL: env('ASTRA_BASE_URL'), maxRetries: 0, timeout: 30_000 });
const model = env('ASTRA_CHAT_MODEL');
const out = { sent: {}, got: {}, errors: {} };

const tools = [{
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    strict: true,
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  },
}];
const everyField = {
  tools,
  tool_choice: 'auto',
  parallel_tool_calls: false,
  seed: 7,
  temperature: 0.2,
  top_p: 0.9,
  presence_penalty: 0.1,
  frequency_penalty: 0.2,
  logit_bias: { '50256': -100 },
  logprobs: true,
  top_logprobs: 2,
  user: 'user-42',
  metadata: { team: 'agents' },
  max_completion_tokens: 200,
  reasoning_effort: 'low',
  stop: ['END'],
  n: 1,
  x_astra_unknown_field: { nested: [1, 'two', { three: true }] },
};

// 1. The tool-call round trip, not streamed.
const first = { model, messages: [{ role: 'user', content: 'What is the weather in Paris?' }], ...everyField };
out.sent.first = first;
const r1 = await client.chat.completions.create(first);
out.got.first = r1;
const call = r1.choices[0].message.tool_calls[0];
const follow = {
  model,
  messages: [
    ...first.messages,
    { role: 'assistant', content: null, tool_calls: r1.choices[0].message.tool_calls },
    { role: 'tool', tool_call_id: call.id, content: '{"temp_c":18}' },
  ],
  tools,
};
out.sent.follow = follow;
out.got.follow = await client.chat.completions.create(follow);

// 2. The same, streamed: tool_call deltas assembled by the SDK's helper.
const sfirst = { ...first, stream: true, stream_options: { include_usage: true } };
out.sent.stream_first = sfirst;
const s1 = client.chat.completions.stream(sfirst);
const sres = await s1.finalChatCompletion();
out.got.stream_first = sres;
const scall = sres.choices[0].message.tool_calls[0];
const sfollow = {
  model, stream: true,
  messages: [
    ...first.messages,
    { role: 'assistant', content: null, tool_calls: sres.choices[0].message.tool_calls },
    { role: 'tool', tool_call_id: scall.id, content: '{"temp_c":18}' },
  ],
  tools,
};
out.sent.stream_follow = sfollow;
let text = '';
for await (const chunk of await client.chat.completions.create(sfollow)) {
  text += chunk.choices?.[0]?.delta?.content ?? '';
}
out.got.stream_follow_text = text;

// 3. json_schema with strict.
const schema = {
  model,
  messages: [{ role: 'user', content: 'Give me a person as JSON.' }],
  response_format: {
    type: 'json_schema',
    json_schema: { name: 'person', strict: true, schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false } },
  },
};
out.sent.schema = schema;
out.got.schema = await client.chat.completions.create(schema);

// 4. An image content part.
const image = {
  model,
  messages: [{ role: 'user', content: [
    { type: 'text', text: 'What is in this image?' },
    { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', detail: 'low' } },
  ] }],
};
out.sent.image = image;
out.got.image = await client.chat.completions.create(image);

const caught = catcher(out, OpenAI, (err) => ({ code: err.code ?? null, type: err.type ?? null }));
// 5. An unknown model, and 6. a kill-switched one.
await caught('unknown_model', () => client.chat.completions.create({ model: 'gpt-does-not-exist', messages: [{ role: 'user', content: 'hi' }] }));
await caught('killed', () => client.chat.completions.create({ model: env('ASTRA_KILLED_MODEL'), messages: [{ role: 'user', content: 'hi' }] }));
await caught('killed_stream', async () => {
  for await (const _ of await client.chat.completions.create({ model: env('ASTRA_KILLED_MODEL'), stream: true, messages: [{ role: 'user', content: 'hi' }] })) { /* none */ }
});

console.log(JSON.stringify(out));
