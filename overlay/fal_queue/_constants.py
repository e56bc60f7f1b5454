"""Every tuning number of the SDK in one place, so that a change of policy is a one-line diff."""

from __future__ import annotations

import httpx

#: Each setting of _settings.SETTINGS is read from FAL_QUEUE_<NAME>; these two are named in messages.
ENV_BASE_URL = "FAL_QUEUE_BASE_URL"
ENV_KEY = "FAL_QUEUE_KEY"
ENV_LOG = "FAL_QUEUE_LOG"
#: The config file the SDK and the CLI read (``_settings``); default $XDG_CONFIG_HOME/fal-queue/config.toml.
ENV_CONFIG = "FAL_QUEUE_CONFIG"
#: The AsyncClient's network transport: "aiohttp" (default) or "httpx".
ENV_HTTP_BACKEND = "FAL_QUEUE_HTTP_BACKEND"

#: Per HTTP call: generous read time (a result can be large), quick failure to connect.
DEFAULT_TIMEOUT_SECONDS = 60.0
DEFAULT_HTTP_TIMEOUT = httpx.Timeout(DEFAULT_TIMEOUT_SECONDS, connect=5.0)

#: Retries of one HTTP call (so up to DEFAULT_MAX_RETRIES + 1 attempts).
DEFAULT_MAX_RETRIES = 4
RETRY_INITIAL_DELAY = 0.25
RETRY_MAX_DELAY = 8.0
RETRY_JITTER = (0.75, 1.0)
#: Answers worth asking again for (any call but a submit, and downloads): the server may answer
#: differently next time.
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
#: The longest Retry-After we honour; longer hints are clipped to this.
RETRY_AFTER_CAP = 60.0

#: Polling backoff: start fast (most FLUX jobs finish in seconds), then grow to a cap.
POLL_INITIAL_INTERVAL = 0.05
POLL_FACTOR = 1.5
POLL_MAX_INTERVAL = 1.0

#: The learned poll schedule (polling.PollHistory). The step is kept between POLL_MIN_STEP (no more
#: precise than a loopback round trip is worth) and POLL_MAX_STEP, fal-client's fixed interval: as
#: the window starts after the shortest job, such a step always makes fewer requests than fal-client.
POLL_HISTORY_SIZE = 32
POLL_HISTORY_MIN = 2
POLL_WINDOW_POLLS = 10
POLL_MIN_STEP = 0.02
POLL_MAX_STEP = 0.1

#: How long a status stream waits for a free pooled connection before the job is polled instead.
STREAM_POOL_WAIT = 0.05

#: A status stream silent this long (no event, no ping) is given up for polling. fal pings about
#: every 15 s (fal-js gives up after 15 s of silence); the margin covers a ping delayed in transit.
STREAM_SILENCE_LIMIT = 20.0

#: A download's body may take the per-call timeout plus its size at this rate (bytes/s), so a
#: large video on a slow link finishes while a server dripping bytes cannot hold a call forever.
DOWNLOAD_MIN_RATE = 64 * 1024

#: How long a result that answers "still in progress" after COMPLETED is asked again, without a deadline.
RESULT_NOT_READY_MAX_WAIT = 30.0

#: The largest image input sent inline, as a data URI (fal's data URLs fail somewhere above ~10 MB).
DEFAULT_MAX_IMAGE_BYTES = 10_000_000

#: Download chunk size: large enough to be fast, small enough to keep memory flat.
DOWNLOAD_CHUNK = 256 * 1024

#: Status streams open at once per client; further jobs are polled. Kept well below the pool size
#: so that streams (one connection each, for the whole job) never leave submits and results
#: without a connection.
MAX_STREAMS = 100

#: Streams get a pool of their own: in the shared pool they pushed the connection count past the
#: keep-alive limit, and httpcore then closes idle connections at once, so submits and results
#: paid a new TLS handshake each time (and the result of a finished job waited for one).
STREAM_POOL_LIMITS = httpx.Limits(max_connections=MAX_STREAMS, max_keepalive_connections=MAX_STREAMS)

#: Requests an AsyncClient has outstanding at once (streams and downloads aside); ``_async_only`` says why.
MAX_CONCURRENT_REQUESTS = 64

#: The gateway pool: no more connections than the async gate lets requests out (an unused one only
#: lengthens httpcore's pool scan), all kept alive, so a burst never reopens them (a TLS handshake
#: each). A sync client with more threads than this waits for one, which costs nothing while idle.
POOL_LIMITS = httpx.Limits(
    max_connections=MAX_CONCURRENT_REQUESTS,
    max_keepalive_connections=MAX_CONCURRENT_REQUESTS,
    keepalive_expiry=30.0,
)

#: The job window of an AsyncClient (_window): where slow start begins, the default ceiling, and how
#: long a full window must go without a refusal before it probes fast again.
WINDOW_INITIAL = 32
WINDOW_CEILING = 100_000
WINDOW_PROBE_AFTER = 5.0

USER_AGENT_PREFIX = "fal-queue-python"
