// Reads {"secret", "headers": {name: value}, "body"} lines on stdin and
// prints, per line, "ok" or the error of the official Standard Webhooks
// library's verification (npm package standardwebhooks).
import { Webhook } from "standardwebhooks";
import { createInterface } from "node:readline";

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  const { secret, headers, body } = JSON.parse(line);
  try {
    new Webhook(secret).verify(body, headers);
    console.log("ok");
  } catch (e) {
    console.log("error: " + e.message);
  }
}
