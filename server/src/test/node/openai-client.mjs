// lowbit serve through OpenAI's official Node.js client: argv[2] is the base URL (…/v1), argv[3] the API key.
// Prints one JSON object with what the client saw; the Java test (OpenAiClientTest) checks it.
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: process.argv[2], apiKey: process.argv[3], maxRetries: 0, timeout: 60000 });
const messages = [{ role: 'system', content: 'You tell stories.' }, { role: 'user', content: 'Tell me about a dog.' }];
const out = {};

const models = await client.models.list();
out.models = models.data.map(m => m.id);

const whole = await client.chat.completions.create({ model: out.models[0], messages, max_tokens: 24, seed: 5, temperature: 0.7 });
out.chat = { text: whole.choices[0].message.content, role: whole.choices[0].message.role,
  finish: whole.choices[0].finish_reason, usage: whole.usage, object: whole.object };

const stream = await client.chat.completions.create({ model: out.models[0], messages, max_tokens: 24, seed: 5, temperature: 0.7,
  stream: true, stream_options: { include_usage: true } });
let text = '', chunks = 0, finish = null, usage = null;
for await (const chunk of stream) {
  if (chunk.usage) usage = chunk.usage;
  if (!chunk.choices.length) continue;
  chunks++;
  text += chunk.choices[0].delta.content ?? '';
  if (chunk.choices[0].finish_reason) finish = chunk.choices[0].finish_reason;
}
out.stream = { text, chunks, finish, usage };

const completion = await client.completions.create({ model: out.models[0], prompt: 'Once upon a time', max_tokens: 16, temperature: 0 });
out.completion = { text: completion.choices[0].text, finish: completion.choices[0].finish_reason, usage: completion.usage };

try {
  await client.chat.completions.create({ model: out.models[0], messages: [], max_tokens: 4 });
  out.error = { status: 0 };
} catch (e) {
  out.error = { status: e.status, message: e.message, type: e.error?.type ?? e.type };
}

console.log(JSON.stringify(out));
