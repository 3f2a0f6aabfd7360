// Evaluates the platform's flags with the official OpenFeature server SDK and
// its OFREP provider, unmodified: one provider per tenant (its API key),
// pointed at the server's /api/v1. Prints what each evaluation resolved to as
// JSON; http/admin's TestOFREP_OfficialOpenFeatureClient checks it.
//
//   ASTRA_API=http://127.0.0.1:8080/api/v1 KEY_B=ab_live_… KEY_C=ab_live_… USER_B=<id> node evaluate.mjs
import { OpenFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';

const { ASTRA_API, KEY_B, KEY_C, USER_B } = process.env;
const provider = (key) => new OFREPProvider({ baseUrl: ASTRA_API, headers: [['Authorization', `Bearer ${key}`]] });
await OpenFeature.setProviderAndWait('tenant-b', provider(KEY_B));
await OpenFeature.setProviderAndWait('tenant-c', provider(KEY_C));
const b = OpenFeature.getClient('tenant-b');
const c = OpenFeature.getClient('tenant-c');

const pick = (d) => ({ value: d.value, variant: d.variant ?? null, reason: d.reason ?? null, errorCode: d.errorCode ?? null,
  version: d.flagMetadata?.version ?? null });
const out = {
  targeted: pick(await b.getStringDetails('new-checkout', 'fallback', { targetingKey: USER_B })),
  otherUser: pick(await b.getStringDetails('new-checkout', 'fallback', { targetingKey: 'someone-else' })),
  otherTenant: pick(await c.getStringDetails('new-checkout', 'fallback', { targetingKey: USER_B })),
  otherTenantClaimingB: pick(await c.getStringDetails('new-checkout', 'fallback', { targetingKey: USER_B, tenantId: 'b' })),
  boolean: pick(await b.getBooleanDetails('dark-mode', false, { targetingKey: USER_B })),
  number: pick(await b.getNumberDetails('upload-limit-mb', 1, { targetingKey: USER_B })),
  object: pick(await c.getObjectDetails('theme', {}, { targetingKey: 'anyone' })),
  missing: pick(await b.getBooleanDetails('no-such-flag', true, { targetingKey: USER_B })),
  noTargetingKey: pick(await b.getBooleanDetails('ramp', false, {})),
};
await OpenFeature.close();
console.log(JSON.stringify(out));
