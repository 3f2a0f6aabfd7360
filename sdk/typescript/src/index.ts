// @astra-bastion/sdk: the ASTRA BASTION API for Node 20+ and browsers, with
// no runtime dependency beyond fetch (and WebSocket for the live stream).
//
//   import { AstraBastion } from '@astra-bastion/sdk';
//   const client = new AstraBastion({ apiKey: 'ab_live_...', baseUrl: 'https://astra.example.com' });
//   const response = await client.gateway.chat({ provider: 'openai', model: 'gpt-4o', messages: [...], policyId: 'prod-policy-001' });
//   const score = await client.trust.getCurrentScore();
import { Transport, type ClientOptions } from './core.js';
import { Resources } from './generated.js';
import { StreamClient } from './stream.js';

export * from './core.js';
export * from './generated.js';
export * from './stream.js';

/** The client: one property per resource (client.gateway, client.trust, …), and client.stream. */
export class AstraBastion extends Resources {
  readonly stream: StreamClient;
  readonly transport: Transport;
  constructor(options: ClientOptions = {}) {
    const t = new Transport({
      ...options,
      apiKey: options.apiKey ?? env('ASTRA_API_KEY'),
      baseUrl: options.baseUrl ?? env('ASTRA_BASE_URL'),
    });
    super(t);
    this.transport = t;
    const credential = () => {
      const c = options.token ?? t.options.apiKey;
      if (!c) throw new TypeError('the stream needs an apiKey or a token');
      return c;
    };
    this.stream = new StreamClient(t.baseUrl, credential, options.WebSocket);
  }
}

function env(name: string): string | undefined {
  return (globalThis as any).process?.env?.[name] || undefined;
}

export default AstraBastion;
