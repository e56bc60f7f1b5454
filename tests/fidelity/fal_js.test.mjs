// fal's official JS client (@fal-ai/client, pinned in package.json, unmodified) against the mock.
//
// Run by test_fal_js.py, which starts the mocks and sets:
//   MOCK_BASE_URL    the mock for the lifecycle tests (http://127.0.0.1:PORT)
//   MOCK_CANCEL_URL  a mock whose jobs stay queued (for cancel)
//   FAL_KEY          the mock's key (fal-js sends "Authorization: Key ...")
//   FIDELITY_INPUTS  JSON: model id -> input
// The recipe: fal-js builds https://queue.fal.run/... URLs itself; a requestMiddleware sends them to
// the gateway instead, keeping the path and query.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createFalClient } from "@fal-ai/client";

const INPUTS = JSON.parse(process.env.FIDELITY_INPUTS);

function toGateway(base) {
  const target = new URL(base);
  return async (request) => {
    const url = new URL(request.url);
    if (url.hostname === "fal.run" || url.hostname.endsWith(".fal.run")) {
      url.protocol = target.protocol;
      url.host = target.host;
    }
    return { ...request, url: url.toString() };
  };
}

function client(base) {
  return createFalClient({
    credentials: process.env.FAL_KEY,
    requestMiddleware: toGateway(base),
    retry: { maxRetries: 0 },
  });
}

const fal = client(process.env.MOCK_BASE_URL);
const cancelling = client(process.env.MOCK_CANCEL_URL);

function messages(logs) {
  return (logs ?? []).map((line) => line.message);
}

for (const [model, input] of Object.entries(INPUTS)) {
  test(`lifecycle of ${model}`, async () => {
    const submitted = await fal.queue.submit(model, { input });
    const requestId = submitted.request_id;
    assert.match(requestId, /^[0-9a-f-]{36}$/);

    const first = await fal.queue.status(model, { requestId, logs: true });
    assert.ok(["IN_QUEUE", "IN_PROGRESS", "COMPLETED"].includes(first.status));

    const stream = await fal.queue.streamStatus(model, { requestId, logs: true });
    const events = [];
    for await (const event of stream) {
      events.push(event);
    }
    assert.equal(events.at(-1).status, "COMPLETED");
    assert.ok(events.every((e) => e.request_id === requestId));
    // Stream logs are incremental: together they hold each line once, in order.
    const streamed = events.flatMap((e) => messages(e.logs));
    const polled = await fal.queue.status(model, { requestId, logs: true });
    assert.equal(polled.status, "COMPLETED");
    assert.deepEqual(streamed, messages(polled.logs).slice(-streamed.length));
    assert.equal(messages(polled.logs)[0], `Starting ${model}`);

    const result = await fal.queue.result(model, { requestId });
    assert.equal(result.requestId, requestId);
    assert.ok(result.data.images.length >= 1);

    const cancelled = await fal.queue.cancel(model, { requestId }).then(
      () => "cancelled",
      (error) => error.status,
    );
    assert.equal(cancelled, 400); // ALREADY_COMPLETED
  });

  for (const mode of ["streaming", "polling"]) {
    test(`subscribe to ${model} (${mode})`, async () => {
      const updates = [];
      let enqueued = null;
      const result = await fal.subscribe(model, {
        input,
        logs: true,
        mode,
        pollInterval: 20,
        onEnqueue: (id) => {
          enqueued = id;
        },
        onQueueUpdate: (update) => updates.push(update),
      });
      assert.equal(result.requestId, enqueued);
      assert.ok(result.data.images.length >= 1);
      const last = updates.at(-1);
      assert.equal(last.status, "COMPLETED");
      const lines = messages(last.logs);
      assert.equal(lines[0], `Starting ${model}`);
      assert.equal(lines.at(-1), "Completed");
      assert.equal(new Set(lines).size, lines.length, `a log line arrived twice: ${lines}`);
    });
  }

  test(`cancel ${model} while queued`, async () => {
    const { request_id: requestId } = await cancelling.queue.submit(model, { input });
    const queued = await cancelling.queue.status(model, { requestId });
    assert.equal(queued.status, "IN_QUEUE");
    await cancelling.queue.cancel(model, { requestId });
    const done = await cancelling.queue.status(model, { requestId });
    assert.equal(done.status, "COMPLETED");
    assert.equal(done.error_type, "client_cancelled");
    await assert.rejects(cancelling.queue.result(model, { requestId }), (error) => {
      assert.equal(error.status, 400);
      assert.equal(error.requestId, requestId);
      return true;
    });
  });
}
