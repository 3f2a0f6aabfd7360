// Drives the gateway's Anthropic-compatible Messages endpoint with the
// official @anthropic-ai/sdk client, unmodified: a message, a streamed
// message, a tool use round trip (plain and streamed); then the refusals: an
// unknown model, a kill-switched model (plain and streamed), a wrong API
// key, a member without equivalent. Prints one JSON object: what
// came back, the stream's event types and the errors raised.
//
// Environment: ASTRA_BASE_URL (…/api/v1/gateway/anthropic), ASTRA_API_KEY,
// ASTRA_CHAT_MODEL, ASTRA_KILLED_MODEL.
import Anthropic from '@anthropic-ai/sdk';
import { env, catcher } from '../compat-common.mjs';

const baseURL = env('ASTRA_BASE_URL');
const client = new Anthropic({ apiKey: env('ASTRA_API_KEY'), baseURL, maxRetries: 0, timeout: 30_000 });
const model = env('ASTRA_CHAT_MODEL');
const out = { got: {}, events: {}, errors: {} };

// 1. A message, with every translated sampling member.
out.got.plain = await client.messages.create({
  model, max_tokens: 256, system: 'You are terse.',
  messages: [{ role: 'user', content: 'Say hello.' }],
  temperature: 0.3, top_p: 0.8, top_k: 40, stop_sequences: ['END'], metadata: { user_id: 'user-42' },
});

// 2. A streamed message.
const s = client.messages.stream({ model, max_tokens: 256, messages: [{ role: 'user', content: 'Say hello.' }] });
let text = '';
out.events.plain = [];
s.on('streamEvent', (e) => out.events.plain.push(e.type));
s.on('text', (t) => { text += t; });
out.got.stream = await s.finalMessage();
out.got.stream_text = text;

// 3. A tool use round trip.
const tools = [{
  name: 'get_weather', description: 'Weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
}];
const ask = [{ role: 'user', content: [{ type: 'text', text: 'What is the weather in Paris?' }] }];
const t1 = await client.messages.create({ model, max_tokens: 256, tools, tool_choice: { type: 'auto' }, messages: ask });
out.got.tool = t1;
const use = t1.content.find((b) => b.type === 'tool_use');
const answer = (u) => [...ask, { role: 'assistant', content: t1.content.map((b) => b.type === 'tool_use' ? { type: 'tool_use', id: u.id, name: u.name, input: u.input } : b) },
  { role: 'user', content: [{ type: 'tool_result', tool_use_id: u.id, content: '{"temp_c":18}' }] }];
out.got.tool_follow = await client.messages.create({ model, max_tokens: 256, tools, messages: answer(use) });

// 4. The tool use, streamed.
const ts = client.messages.stream({ model, max_tokens: 256, tools, messages: ask });
out.events.tool = [];
ts.on('streamEvent', (e) => out.events.tool.push(e.type + (e.delta?.type ? ':' + e.delta.type : '')));
out.got.tool_stream = await ts.finalMessage();

const caught = catcher(out, Anthropic, (err) => ({ type: err.error?.error?.type ?? null }));
const hi = { max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };
await caught('unknown_model', () => client.messages.create({ model: 'claude-does-not-exist', ...hi }));
await caught('killed', () => client.messages.create({ model: env('ASTRA_KILLED_MODEL'), ...hi }));
await caught('killed_stream', () => client.messages.stream({ model: env('ASTRA_KILLED_MODEL'), ...hi }).finalMessage());
await caught('bad_key', () => new Anthropic({ apiKey: 'ab_live_not_a_key', baseURL, maxRetries: 0 }).messages.create({ model, ...hi }));
await caught('thinking', () => client.messages.create({ model, ...hi, thinking: { type: 'enabled', budget_tokens: 1024 } }));

console.log(JSON.stringify(out));
