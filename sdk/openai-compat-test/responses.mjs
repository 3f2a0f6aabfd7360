// Drives the drop-in's Responses API with the official `openai` client: a
// function-call round trip (plain and streamed) carrying every translated
// field, json_schema text.format, an input_image part; then the refusals: an
// unknown model, a kill-switched model, previous_response_id. Prints one JSON
// object: what was sent, what came back, the stream's event types, the errors.
//
// Environment: ASTRA_BASE_URL, ASTRA_API_KEY, ASTRA_CHAT_MODEL, ASTRA_KILLED_MODEL.
import OpenAI from 'openai';
import { env, catcher } from '../compat-common.mjs';

const client = new OpenAI({ apiKey: env('ASTRA_API_KEY'), baseURL: env('ASTRA_BASE_URL'), maxRetries: 0, timeout: 30_000 });
const model = env('ASTRA_CHAT_MODEL');
const out = { got: {}, events: {}, errors: {} };

const tools = [{
  type: 'function',
  name: 'get_weather',
  description: 'Weather for a city',
  strict: true,
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
}];
const first = {
  model,
  instructions: 'You are a weather bot.',
  input: [{ role: 'user', content: [{ type: 'input_text', text: 'What is the weather in Paris?' }] }],
  tools,
  tool_choice: 'auto',
  parallel_tool_calls: false,
  temperature: 0.2,
  top_p: 0.9,
  max_output_tokens: 200,
  metadata: { team: 'agents' },
  store: false,
  user: 'user-42',
  reasoning: { effort: 'low' },
};

// 1. The function-call round trip, not streamed.
const r1 = await client.responses.create(first);
out.got.first = r1;
const call = r1.output.find((o) => o.type === 'function_call');
const follow = {
  model,
  input: [
    ...first.input,
    { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
    { type: 'function_call_output', call_id: call.call_id, output: '{"temp_c":18}' },
  ],
  tools,
};
const r2 = await client.responses.create(follow);
out.got.follow = r2;
out.got.follow_text = r2.output_text;

// 2. The same, streamed.
const s1 = client.responses.stream({ ...first });
out.events.first = [];
s1.on('event', (e) => out.events.first.push(e.type));
const sres = await s1.finalResponse();
out.got.stream_first = sres;
const scall = sres.output.find((o) => o.type === 'function_call');
let text = '';
out.events.follow = [];
for await (const e of await client.responses.create({
  model, stream: true, tools,
  input: [
    ...first.input,
    { type: 'function_call', call_id: scall.call_id, name: scall.name, arguments: scall.arguments },
    { type: 'function_call_output', call_id: scall.call_id, output: '{"temp_c":18}' },
  ],
})) {
  out.events.follow.push(e.type);
  if (e.type === 'response.output_text.delta') text += e.delta;
  if (e.type === 'response.completed') out.got.stream_follow_completed = e.response;
}
out.got.stream_follow_text = text;

// 3. json_schema text.format, and 4. an image part.
out.got.schema = await client.responses.create({
  model, input: 'Give me a person as JSON.',
  text: { format: { type: 'json_schema', name: 'person', strict: true, schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false } } },
});
out.got.image = await client.responses.create({
  model,
  input: [{ role: 'user', content: [
    { type: 'input_text', text: 'What is in this image?' },
    { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', detail: 'low' },
  ] }],
});

const caught = catcher(out, OpenAI, (err) => ({ code: err.code ?? null, param: err.param ?? null }));
await caught('unknown_model', () => client.responses.create({ model: 'gpt-does-not-exist', input: 'hi' }));
await caught('killed', () => client.responses.create({ model: env('ASTRA_KILLED_MODEL'), input: 'hi' }));
await caught('killed_stream', async () => {
  for await (const _ of await client.responses.create({ model: env('ASTRA_KILLED_MODEL'), input: 'hi', stream: true })) { /* none */ }
});
await caught('previous_response_id', () => client.responses.create({ model, input: 'hi', previous_response_id: 'resp_123' }));
await caught('hosted_tool', () => client.responses.create({ model, input: 'hi', tools: [{ type: 'web_search' }] }));

console.log(JSON.stringify(out));
