// Each false positive and each miss found by linting real Dockerfiles, kept
// as the real line that showed it (the corpus in test/fixtures/dockerfiles/real
// names each file's origin in SOURCES.md), beside the true positives the fix
// must keep.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text here spells ${VAR} on purpose

import assert from "node:assert/strict";
import { test } from "node:test";
import { lintDockerfile } from "../../src/lint/index.ts";

const DIGEST = `sha256:${"a".repeat(64)}`;
const BASE = `FROM nvidia/cuda:12.8.1-runtime-ubuntu22.04@${DIGEST}`;

/** The findings of one rule in a Dockerfile made of these lines under a pinned base, as `ID:line`. */
function fired(id: string, ...lines: string[]): string[] {
  return lintDockerfile([BASE, ...lines, "USER 10001", ""].join("\n"))
    .findings.filter((f) => f.id === id)
    .map((f) => `${f.id}:${f.evidence.line}`);
}

function fix(id: string, ...lines: string[]): string | undefined {
  return lintDockerfile([BASE, ...lines, "USER 10001", ""].join("\n")).findings.find((f) => f.id === id)?.fix;
}

// --- false positives ---------------------------------------------------------

test("a switch named like a secret is not one: vLLM's ARG SCCACHE_S3_NO_CREDENTIALS=0", () => {
  // vllm docker/Dockerfile
  assert.deepEqual(fired("CS-DF-SECRET-ARG", "ARG SCCACHE_S3_NO_CREDENTIALS=0"), []);
  // a switch spelled as a boolean
  assert.deepEqual(fired("CS-DF-SECRET-ARG", "ARG USE_CREDENTIALS=false"), []);
  for (const value of ["1", "true", "no", "off", "8"]) {
    assert.deepEqual(fired("CS-DF-SECRET-ARG", `ARG HF_TOKEN=${value}`), [], value);
  }
  // what ENV stores is the value itself: empty or a placeholder stores nothing secret
  for (const value of ["1", "true", "no", "off", "", "8", "<your-token>", "changeme", "xxxx"]) {
    assert.deepEqual(fired("CS-DF-SECRET-ENV", `ENV HF_TOKEN=${value}`), [], value);
  }
});

test("secrets stay caught: an ARG with no default, a value passed through, a real-looking value", () => {
  assert.deepEqual(fired("CS-DF-SECRET-ARG", "ARG HF_TOKEN"), ["CS-DF-SECRET-ARG:2"]);
  // TGI's Dockerfile_trtllm: an empty or placeholder default still means the token comes with --build-arg
  assert.deepEqual(fired("CS-DF-SECRET-ARG", 'ARG actions_runtime_token=""'), ["CS-DF-SECRET-ARG:2"]);
  assert.deepEqual(fired("CS-DF-SECRET-ARG", "ARG HF_TOKEN=<your-token>"), ["CS-DF-SECRET-ARG:2"]);
  assert.deepEqual(fired("CS-DF-SECRET-ARG", "ARG NGC_API_KEY=nvapi-not-a-boolean-at-all"), [
    "CS-DF-SECRET-ARG:2",
  ]);
  // digits can be a password: only a short number reads as a switch or a count
  assert.deepEqual(fired("CS-DF-SECRET-ENV", "ENV POSTGRES_PASSWORD=123456"), ["CS-DF-SECRET-ENV:2"]);
  assert.deepEqual(fired("CS-DF-SECRET-ARG", "ARG DB_PASSWORD=1234"), ["CS-DF-SECRET-ARG:2"]);
  // a public image's history: ENV AWS_SECRET_ACCESS_KEY "$AWS_SECRET_ACCESS_KEY"
  assert.deepEqual(fired("CS-DF-SECRET-ENV", 'ENV AWS_SECRET_ACCESS_KEY "$AWS_SECRET_ACCESS_KEY"'), [
    "CS-DF-SECRET-ENV:2",
  ]);
});

test("PIP_NO_CACHE_DIR exported earlier in the RUN, set by ENV or on the command turns pip's cache off", () => {
  // hadolint's DL3042 cases, written as its users write them
  assert.deepEqual(fired("CS-DF-PIP-CACHE", "RUN export PIP_NO_CACHE_DIR=1 && pip install MySQL_python"), []);
  assert.deepEqual(fired("CS-DF-PIP-CACHE", "ENV PIP_NO_CACHE_DIR=1", "RUN pip install MySQL_python"), []);
  assert.deepEqual(fired("CS-DF-PIP-CACHE", "RUN PIP_NO_CACHE_DIR=yes pip install MySQL_python"), []);
  // pip turns the cache off for a false value too (its _handle_no_cache_dir), unlike hadolint
  assert.deepEqual(fired("CS-DF-PIP-CACHE", "RUN export PIP_NO_CACHE_DIR=0 && pip install MySQL_python"), []);
  assert.deepEqual(
    fired("CS-DF-PIP-CACHE", "ENV PIP_NO_CACHE_DIR=false", "RUN pip install MySQL_python"),
    [],
  );
  // uv reads UV_NO_CACHE=0 as false, and keeps its cache
  assert.deepEqual(fired("CS-DF-PIP-CACHE", "RUN UV_NO_CACHE=0 uv pip install six"), ["CS-DF-PIP-CACHE:2"]);
  // an export after the install does not count
  assert.deepEqual(fired("CS-DF-PIP-CACHE", "RUN pip install MySQL_python && export PIP_NO_CACHE_DIR=1"), [
    "CS-DF-PIP-CACHE:2",
  ]);
});

test("apt lists are asked to be removed only in stages that reach the final image: vLLM's base stage", () => {
  // vllm docker/Dockerfile: `base` is built on by `build` and `dev`, never by the shipped vllm-openai
  const text = [
    "ARG CUDA_VERSION=12.8.1",
    "FROM nvidia/cuda:${CUDA_VERSION}-devel-ubuntu20.04 AS base",
    "RUN apt-get install -y gcc-10 g++-10",
    "FROM base AS build",
    "RUN python3 setup.py bdist_wheel --dist-dir=dist --py-limited-api=cp38",
    `FROM nvidia/cuda:\${CUDA_VERSION}-runtime-ubuntu22.04@${DIGEST} AS vllm-base`,
    "RUN apt-get update -y && apt-get install -y --no-install-recommends ffmpeg libsm6 libxext6 libgl1",
    "FROM vllm-base AS vllm-openai",
    "USER 10001",
    "",
  ].join("\n");
  const lines = (target?: string) =>
    lintDockerfile(text, target ? { target } : {})
      .findings.filter((f) => f.id === "CS-DF-APT-LISTS")
      .map((f) => f.evidence.line);
  assert.deepEqual(lines(), [7]);
  // built as the target, the base stage ships: then its lists count
  assert.deepEqual(lines("build"), [3]);
});

// --- misses --------------------------------------------------------------------

test("curl piped into python${PYTHON_VERSION} runs the download: vLLM's get-pip.py line", () => {
  // vllm docker/Dockerfile
  assert.deepEqual(
    fired(
      "CS-DF-CURL-PIPE-SHELL",
      "ARG PYTHON_VERSION=3.12",
      "ARG GET_PIP_URL=https://bootstrap.pypa.io/get-pip.py",
      "RUN apt-get update -y \\",
      "    && curl -sS ${GET_PIP_URL} | python${PYTHON_VERSION} \\",
      "    && python3 --version && python3 -m pip --version",
    ),
    ["CS-DF-CURL-PIPE-SHELL:4"],
  );
  // lines from public Dockerfiles and install notes
  for (const line of [
    "RUN wget -O - https://bootstrap.pypa.io/get-pip.py | python3 && pip --version",
    "RUN curl https://bootstrap.pypa.io/get-pip.py | python3.6 - --user",
    "RUN curl -fsSL https://cpanmin.us | perl - App::cpanminus",
    "RUN curl -fsSL https://deb.nodesource.com/setup_20.x | sudo -E bash -",
    "RUN curl -fsSL https://example.invalid/install.js | node",
    "RUN curl -sSf https://sh.rustup.rs | sh -s -- --no-modify-path --default-toolchain 1.85.1 --profile minimal -y",
    // options that are not a program: python's -E ignores the environment, -W takes a value
    "RUN curl -fsSL https://example.invalid/install.py | python3 -E",
    "RUN curl -fsSL https://example.invalid/install.py | python3 -W ignore -",
    "RUN curl -fsSL https://example.invalid/install.js | node -r esm",
  ]) {
    assert.deepEqual(fired("CS-DF-CURL-PIPE-SHELL", line), ["CS-DF-CURL-PIPE-SHELL:2"], line);
  }
  // data, not a program: the interpreter is given its program
  for (const line of [
    `RUN curl -s https://api.github.com/repos/x/y/releases/latest | python3 -c "import sys, json; print(json.load(sys.stdin)['tag_name'])"`,
    "RUN curl -s https://example.invalid/data.json | python3 -m json.tool",
    "RUN curl -s https://example.invalid/list | perl -ne 'print if /x/'",
    "RUN curl -s https://example.invalid/list | perl -E 'say for <STDIN>'",
    "RUN curl -s https://example.invalid/data.json | node -e 'process.stdin.pipe(process.stdout)'",
    "RUN curl -fsSLo get-pip.py https://bootstrap.pypa.io/get-pip.py && python3 get-pip.py",
  ]) {
    assert.deepEqual(fired("CS-DF-CURL-PIPE-SHELL", line), [], line);
  }
});

test("a password in a URL in ARG, ENV or a RUN's --index-url is a secret, shown redacted", () => {
  const findings = lintDockerfile(
    [
      BASE,
      "ARG PIP_EXTRA_INDEX_URL=https://ci-bot:s3cr3t-Pa55w0rd@pypi.example.invalid/simple",
      "ENV UV_INDEX_URL=https://__token__:glpat-0123456789abcdefghij@gitlab.example.invalid/api/v4/projects/1/packages/pypi/simple",
      "RUN pip install --no-cache-dir --index-url https://deploy:hunter2hunter2@pypi.example.invalid/simple torch",
      "USER 10001",
      "",
    ].join("\n"),
  ).findings.filter((f) => f.id === "CS-DF-SECRET-VALUE");
  assert.deepEqual(
    findings.map((f) => f.evidence.line),
    // the GitLab token in line 3 is one finding, though two patterns see it
    [2, 3, 4],
  );
  const text = JSON.stringify(findings);
  for (const secret of ["s3cr3t-Pa55w0rd", "glpat-0123456789abcdefghij", "hunter2hunter2"]) {
    assert.equal(text.includes(secret), false, secret);
  }
  assert.match(findings[0].evidence.snippet ?? "", /ci-bot:s3cr…\(15 chars\)@pypi/);
  // a variable or a placeholder in the password is no literal secret
  for (const line of [
    "ARG PIP_INDEX_URL=https://user:${PIP_PASSWORD}@pypi.example.invalid/simple",
    "RUN pip install --no-cache-dir --index-url https://$USER:$TOKEN@pypi.example.invalid/simple x",
    "ENV PIP_INDEX_URL=https://user:password@pypi.example.invalid/simple",
    "ENV PIP_INDEX_URL=https://user:<password>@pypi.example.invalid/simple",
  ]) {
    assert.deepEqual(fired("CS-DF-SECRET-VALUE", line), [], line);
  }
});

test("ONBUILD triggers are linted as the instruction they register: docker-library's python:onbuild", () => {
  // docker-library python onbuild image history
  assert.deepEqual(fired("CS-DF-PIP-CACHE", "ONBUILD RUN pip install -r requirements.txt"), [
    "CS-DF-PIP-CACHE:2",
  ]);
  assert.deepEqual(
    fired("CS-DF-PIP-CACHE", "ONBUILD RUN pip install --no-cache-dir -r requirements.txt"),
    [],
  );
  assert.deepEqual(
    fired("CS-DF-CURL-PIPE-SHELL", "ONBUILD RUN curl -fsSL https://example.invalid/i.sh | sh"),
    ["CS-DF-CURL-PIPE-SHELL:2"],
  );
  assert.deepEqual(fired("CS-DF-SECRET-FILE", "ONBUILD COPY .env /app/.env"), ["CS-DF-SECRET-FILE:2"]);
  assert.deepEqual(fired("CS-DF-SECRET-ENV", "ONBUILD ENV HF_TOKEN=hf_abc_not_a_switch"), [
    "CS-DF-SECRET-ENV:2",
  ]);
  // one finding for a token in a trigger, not one for ONBUILD and one for its trigger
  assert.deepEqual(fired("CS-DF-SECRET-VALUE", `ONBUILD ENV T=ghp_${"a".repeat(36)}`), [
    "CS-DF-SECRET-VALUE:2",
  ]);
});

test("python -mpip, python3 -m pip and python3.11 -m pip are pip: PyTorch's conda line", () => {
  // pytorch Dockerfile
  assert.deepEqual(
    fired(
      "CS-DF-PIP-CACHE",
      "RUN chmod +x ~/miniconda.sh && \\",
      "    /opt/conda/bin/python -mpip install -r requirements.txt && \\",
      "    /opt/conda/bin/conda clean -ya",
    ),
    ["CS-DF-PIP-CACHE:2"],
  );
  for (const line of [
    "RUN python3 -m pip install uv",
    "RUN python3.11 -m pip install -r requirements.txt",
    "RUN python${PYTHON_VERSION} -m pip install numpy",
    "RUN python3 -I -m pip install numpy",
  ]) {
    assert.deepEqual(fired("CS-DF-PIP-CACHE", "ARG PYTHON_VERSION=3.12", line), ["CS-DF-PIP-CACHE:3"], line);
  }
  assert.deepEqual(fired("CS-DF-PIP-CACHE", "RUN python3 -m pip --version && python3 -m venv /opt/venv"), []);
});

test("a uv cache mount does not excuse pip: vLLM's `python3 -m pip install uv` under /root/.cache/uv", () => {
  // vllm docker/Dockerfile
  assert.deepEqual(
    fired(
      "CS-DF-PIP-CACHE",
      "RUN --mount=type=cache,target=/root/.cache/uv \\",
      "    python3 -m pip install uv",
    ),
    ["CS-DF-PIP-CACHE:2"],
  );
  assert.deepEqual(
    fired(
      "CS-DF-PIP-CACHE",
      "RUN --mount=type=cache,target=/root/.cache/pip \\",
      "    python3 -m pip install uv",
    ),
    [],
  );
  // ... nor a pip cache mount uv
  assert.deepEqual(
    fired("CS-DF-PIP-CACHE", "RUN --mount=type=cache,target=/root/.cache/pip uv pip install --system torch"),
    ["CS-DF-PIP-CACHE:2"],
  );
});

test("uv pip install gets uv's fix: TGI's uv venv line; a uv cache mount or UV_NO_CACHE passes", () => {
  // text-generation-inference Dockerfile
  const line =
    "RUN uv venv --python ${PYTHON_VERSION} && uv pip install torch==${PYTORCH_VERSION} torchvision pip setuptools packaging";
  assert.deepEqual(fired("CS-DF-PIP-CACHE", line), ["CS-DF-PIP-CACHE:2"]);
  assert.match(fix("CS-DF-PIP-CACHE", line) ?? "", /uv pip install --no-cache/);
  assert.doesNotMatch(fix("CS-DF-PIP-CACHE", line) ?? "", /--no-cache-dir/);
  // vllm docker/Dockerfile
  assert.deepEqual(
    fired(
      "CS-DF-PIP-CACHE",
      "RUN --mount=type=cache,target=/root/.cache/uv \\",
      "    uv pip install --system -r requirements/build.txt",
    ),
    [],
  );
  assert.deepEqual(fired("CS-DF-PIP-CACHE", "ENV UV_NO_CACHE=1", line), []);
  assert.deepEqual(fired("CS-DF-PIP-CACHE", line.replace("uv pip install", "uv pip install --no-cache")), []);
});
