// Shared by the official-SDK drop-in scripts (sdk/openai-compat-test,
// sdk/anthropic-compat-test): the environment they read, and how they record
// the errors the SDKs raise, as JSON the Go tests decode.

/** The value of a required environment variable. */
export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

/**
 * A recorder of the error a call raises into out.errors[name]: its class,
 * which of the SDK's error classes it is, its status and message, and the
 * SDK-specific fields detail(err) adds.
 */
export const catcher = (out, SDK, detail = () => ({})) => async (name, fn) => {
  try {
    await fn();
    out.errors[name] = { thrown: false };
  } catch (err) {
    out.errors[name] = {
      thrown: true,
      class: err.constructor.name,
      not_found: err instanceof SDK.NotFoundError,
      bad_request: err instanceof SDK.BadRequestError,
      auth: err instanceof SDK.AuthenticationError,
      api_error: err instanceof SDK.APIError,
      status: err.status ?? 0, message: err.message,
      ...detail(err),
    };
  }
};
