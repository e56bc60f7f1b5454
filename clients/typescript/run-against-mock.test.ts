/**
 * The typed client against the mock gateway, as a JS/TS team runs it in CI: start
 * `python -m fal_queue.mock --port 0`, read FAL_QUEUE_BASE_URL / FAL_QUEUE_KEY from its first lines,
 * run the queue flow, stop it. `FAL_QUEUE_PYTHON` names the Python that has fal-queue[mock].
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { QueueClient, isImageOutput, normalizeBaseUrl, toGateway, type SubmitResponse } from "./queue-client.js";

const UPSTREAM = "https://queue.fal.run";
let mock: ChildProcess;
let env: Record<string, string> = {};
const requested: string[] = [];

/** fetch that records every URL it is asked for: the test checks the rewriting rule was applied. */
const recordingFetch: typeof fetch = (input, init) => {
  requested.push(input instanceof Request ? input.url : String(input));
  return fetch(input, init);
};

before(async () => {
  const python = process.env.FAL_QUEUE_PYTHON ?? ".venv/bin/python";
  mock = spawn(python, ["-m", "fal_queue.mock", "--port", "0", "--run-time", "1.0", "--queue-delay", "0.02"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: mock.stdout! });
  const timer = setTimeout(() => mock.kill(), 30_000); // a mock that never says "ready" fails the run
  for await (const line of lines) {
    if (line === "ready") break;
    const [name, ...value] = line.split("=");
    if (name) env[name] = value.join("=");
  }
  clearTimeout(timer);
  assert.ok(env.FAL_QUEUE_BASE_URL, "the mock printed no FAL_QUEUE_BASE_URL");
});

after(async () => {
  mock.kill("SIGTERM");
  if (mock.exitCode === null) await once(mock, "exit");
});

function client(baseUrl = env.FAL_QUEUE_BASE_URL!): QueueClient {
  return new QueueClient(baseUrl, env.FAL_QUEUE_KEY!, recordingFetch);
}

function assertRewritten(job: SubmitResponse, base: string): void {
  for (const url of [job.status_url, job.response_url, job.cancel_url]) {
    assert.ok(url.startsWith(`${normalizeBaseUrl(base)}/`), `${url} was not rewritten to ${base}`);
  }
}

test("toGateway keeps path and query, drops fal's origin, honours a prefix and a trailing slash", () => {
  const url = `${UPSTREAM}/fal-ai/flux-1/requests/abc/status?logs=1`;
  assert.equal(toGateway(url, "https://gw.example/v1/"), "https://gw.example/v1/fal-ai/flux-1/requests/abc/status?logs=1");
  assert.equal(normalizeBaseUrl("https://gw.example//"), "https://gw.example");
  assert.throws(() => normalizeBaseUrl("gw.example"));
});

test("FLUX.1 [schnell]: submit, stream to COMPLETED, result (base URL with a trailing slash)", async () => {
  const base = `${env.FAL_QUEUE_BASE_URL}/`;
  const api = client(base);
  const job = await api.submit("/fal-ai/flux-1/schnell", { prompt: "a lighthouse", num_images: 2, image_size: "square" });
  assertRewritten(job, base);
  const events = [];
  for await (const event of api.stream(job, { timeoutMs: 30_000 })) events.push(event);
  assert.equal(events.at(-1)?.status, "COMPLETED");
  assert.ok(events.every((e) => e.request_id === job.request_id));
  const result = await api.result(job);
  assert.ok(isImageOutput(result));
  assert.equal(result.images.length, 2);
  for (const image of result.images) assert.deepEqual([image.width, image.height], [512, 512]);
  // Every call went to the gateway, at the rewritten paths; none to fal's origin.
  const mine = requested.filter((u) => u.includes(job.request_id));
  assert.deepEqual(mine, [`${job.status_url}/stream`, job.response_url]);
  assert.ok(requested.every((u) => !u.startsWith(UPSTREAM)));
  assert.ok(requested.includes(`${env.FAL_QUEUE_BASE_URL}/fal-ai/flux-1/schnell`), "submit URL has a double slash");
});

test("FLUX.1 Kontext [max] text-to-image: submit, poll (202 then 200), result", async () => {
  const api = client();
  const job = await api.submit("/fal-ai/flux-pro/kontext/max/text-to-image", { prompt: "a red kite", output_format: "png" });
  assertRewritten(job, env.FAL_QUEUE_BASE_URL!);
  const first = await api.status(job);
  assert.equal(first.httpStatus, 202);
  const done = await api.poll(job, { timeoutMs: 30_000 });
  assert.equal(done.status, "COMPLETED");
  assert.equal((await api.status(job)).httpStatus, 200);
  const result = await api.result(job);
  assert.ok(isImageOutput(result));
  assert.equal(result.images[0]?.content_type, "image/png");
});

test("cancel: CANCELLATION_REQUESTED while it runs, ALREADY_COMPLETED after", async () => {
  const api = client();
  const job = await api.submit("/fal-ai/flux-1/dev", { prompt: "never mind" });
  assert.equal(await api.cancel(job), "CANCELLATION_REQUESTED");
  const done = await api.poll(job, { timeoutMs: 30_000 });
  assert.equal(done.error_type, "client_cancelled");
  assert.equal(await api.cancel(job), "ALREADY_COMPLETED");
});

test("a wrong key is refused with 401 and a typed error", async () => {
  const api = new QueueClient(env.FAL_QUEUE_BASE_URL!, "not-the-key");
  await assert.rejects(api.submit("/fal-ai/flux-1/schnell", { prompt: "x" }), /submit: queue API answered 401/);
});
