// Every rule fires on a Dockerfile made to break it, at the right lines, and
// stays quiet on the variants that do the right thing; a well-written
// Dockerfile gets no finding at all.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text here spells ${VAR} on purpose

import assert from "node:assert/strict";
import { test } from "node:test";
import { lintDockerfile } from "../../src/lint/index.ts";
import { RULES } from "../../src/lint/rules/index.ts";

const DIGEST = `sha256:${"a".repeat(64)}`;
const RUNTIME = `nvidia/cuda:12.4.1-runtime-ubuntu22.04@${DIGEST}`;
/** A pinned base and a non-root user, so a case shows only its own rule. */
const head = `FROM ${RUNTIME}\n`;
const tail = "USER 10001\n";

function lint(text: string, options = {}) {
  return lintDockerfile(text, options).findings;
}

/** id → lines it fires on. */
function fired(text: string, id: string, options = {}): number[] {
  return lint(text, options)
    .filter((f) => f.id === id)
    .map((f) => f.evidence.line ?? 0);
}

interface Case {
  id: string;
  bad: string;
  lines: number[];
  /** Variants that must not fire. */
  good: string[];
}

const CASES: Case[] = [
  {
    id: "CS-DF-UNKNOWN-INSTRUCTION",
    bad: `${head}RUNN make\n${tail}`,
    lines: [2],
    good: [`${head}run make\n${tail}`],
  },
  {
    id: "CS-DF-NO-FROM",
    bad: "ARG A=1\nRUN make\n",
    lines: [1],
    good: [`ARG A=1\n${head}${tail}`],
  },
  { id: "CS-DF-NO-FROM", bad: `ARG A=1\nRUN make\n${head}${tail}`, lines: [2], good: [] },
  {
    id: "CS-DF-JSON-FORM-INVALID",
    bad: `${head}${tail}CMD ['python3', 'serve.py']\n`,
    lines: [3],
    good: [`${head}${tail}CMD ["python3", "serve.py"]\n`, `${head}${tail}CMD python3 serve.py\n`],
  },
  {
    id: "CS-DF-EMPTY-CONTINUATION",
    bad: `${head}RUN echo a \\\n\n  && echo b\n${tail}`,
    lines: [3],
    good: [`${head}RUN echo a \\\n  # comment\n  && echo b\n${tail}`],
  },
  {
    id: "CS-DF-BAD-SUBSTITUTION",
    bad: `${head}ENV CUDA_HOME=\${CUDA_HOME:=/usr/local/cuda}\n${tail}`,
    lines: [2],
    good: [
      `${head}ENV CUDA_HOME=\${CUDA_HOME:-/usr/local/cuda}\n${tail}`,
      `${head}RUN echo \${CUDA_HOME:=/x}\n${tail}`,
    ],
  },
  {
    id: "CS-DF-VAR-REQUIRED",
    bad: `${head}ARG VERSION\nENV APP_VERSION=\${VERSION:?}\n${tail}`,
    lines: [3],
    good: [`${head}ARG VERSION=1.0\nENV APP_VERSION=\${VERSION:?}\n${tail}`],
  },
  {
    id: "CS-DF-USER-ROOT",
    bad: `${head}USER 10001\nUSER 0:0\n`,
    lines: [3],
    good: [`${head}USER root\nRUN make\nUSER app\n`, "FROM scratch AS b\nUSER root\nFROM b\nUSER 1\n"],
  },
  {
    id: "CS-DF-USER-ROOT",
    bad: `FROM ${RUNTIME} AS base\nUSER root\nFROM base\nRUN make\n`,
    lines: [2],
    good: [],
  },
  {
    id: "CS-DF-USER-MISSING",
    bad: `FROM ${RUNTIME} AS build\nUSER 1000\nFROM ${RUNTIME}\nRUN make\n`,
    lines: [3],
    good: [`FROM gcr-mirror/distroless/static:nonroot@${DIGEST}\n`, `FROM ${RUNTIME} AS b\nUSER 1\nFROM b\n`],
  },
  {
    id: "CS-DF-SECRET-VALUE",
    bad: `${head}ENV A=1\nRUN git clone https://ghp_${"x".repeat(36)}@example.invalid/r.git\nLABEL k=AKIAABCDEFGHIJKLMNOP\n${tail}`,
    lines: [3, 4],
    good: [`${head}ENV HF_HUB_ENABLE_HF_TRANSFER=1\nRUN echo hf_short\n${tail}`],
  },
  {
    id: "CS-DF-SECRET-FILE",
    bad: `${head}COPY .env /app/\nCOPY certs/server.key /etc/ssl/\nCOPY aws-config /root/.aws/credentials\nADD id_rsa /root/.ssh/\nCOPY auth.json /root/.docker/config.json\n${tail}`,
    lines: [2, 3, 4, 5, 6],
    good: [
      `${head}COPY .env.example /app/\nCOPY nvidia.pub /etc/apt/keyrings/\nCOPY .docker/entrypoint.sh /usr/local/bin/\n${tail}`,
    ],
  },
  {
    id: "CS-DF-SECRET-DELETED",
    bad: `${head}WORKDIR /app\nCOPY .netrc .\nRUN pip download x && rm -f .netrc\nCOPY .aws /root/.aws\nRUN rm -rf /root/.aws/credentials\n${tail}`,
    lines: [4, 6],
    good: [
      `${head}RUN --mount=type=secret,id=netrc,target=/root/.netrc pip install --no-cache-dir x\n${tail}`,
    ],
  },
  {
    id: "CS-DF-SECRET-ARG",
    bad: `ARG HF_TOKEN\n${head}ARG GITHUB_TOKEN=x DB_PASSWORD\n${tail}`,
    lines: [1, 3, 3],
    good: [`ARG HF_TOKEN_FILE=/run/secrets/hf\n${head}ARG AWS_ACCESS_KEY_ID\n${tail}`],
  },
  {
    id: "CS-DF-SECRET-ENV",
    bad: `${head}ENV NGC_API_KEY=abc\nENV WANDB_TOKEN somevalue\nENV AWS_SECRET_ACCESS_KEY=x HUGGING_FACE_HUB_TOKEN=y\n${tail}`,
    lines: [2, 3, 4, 4],
    good: [
      `${head}ENV HF_TOKEN=""\nENV HF_TOKEN_PATH=/run/secrets/hf\nENV TOKENIZERS_PARALLELISM=false\n${tail}`,
    ],
  },
  {
    id: "CS-DF-CURL-PIPE-SHELL",
    bad: `${head}RUN curl -fsSL https://x/i.sh | sh\nRUN wget -qO- https://x/i.sh | sudo -E bash -s\nRUN sh -c "$(curl -fsSL https://x/i.sh)"\n${tail}`,
    lines: [2, 3, 4],
    good: [
      `${head}RUN curl -fsSLo i.sh https://x/i.sh && echo "abc  i.sh" | sha256sum -c - && sh i.sh\n${tail}`,
    ],
  },
  {
    id: "CS-DF-ADD-URL",
    bad: `${head}ADD https://example.invalid/model.bin /models/\nADD git@example.invalid:org/repo.git /src\n${tail}`,
    lines: [2, 3],
    good: [`${head}ADD --checksum=${DIGEST} https://example.invalid/model.bin /models/\n${tail}`],
  },
  {
    id: "CS-DF-BASE-LATEST",
    bad: "FROM ubuntu\nFROM python:latest\nCOPY --from=nvidia/cuda /x /x\nUSER 1\n",
    lines: [1, 2, 3],
    good: [
      `FROM ubuntu:24.04@${DIGEST} AS a\nFROM a\nCOPY --from=a /x /y\nUSER 1\n`,
      "FROM scratch\nUSER 1\n",
    ],
  },
  {
    id: "CS-DF-BASE-UNPINNED",
    bad: `ARG CUDA=12.4.1\nFROM nvidia/cuda:\${CUDA}-runtime-ubuntu22.04\nRUN --mount=from=python:3.12-slim,target=/py ls /py\nUSER 1\n`,
    lines: [2, 3],
    good: [
      `FROM localhost:5000/team/base@${DIGEST}\nUSER 1\n`,
      "FROM nvidia/cuda:${UNKNOWN}\nUSER 1\n",
      `FROM ${RUNTIME} AS a\nFROM a\nUSER 1\n`,
    ],
  },
  {
    id: "CS-DF-CUDA-DEVEL-FINAL",
    bad: `FROM nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04@${DIGEST} AS base\nFROM base\nUSER 1\n`,
    lines: [1],
    good: [
      `FROM nvidia/cuda:12.4.1-devel-ubuntu22.04@${DIGEST} AS build\nRUN make\nFROM ${RUNTIME}\nCOPY --from=build /out /opt/app\nUSER 1\n`,
    ],
  },
  {
    id: "CS-DF-BASE-UNKNOWN",
    bad: `ARG IMAGE_NAME\nFROM \${IMAGE_NAME}:12.8.1-runtime-ubuntu24.04 AS base\n${tail}`,
    lines: [2],
    good: [`ARG IMAGE_NAME=nvidia/cuda\nFROM \${IMAGE_NAME}:12.8.1-runtime-ubuntu24.04@${DIGEST}\n${tail}`],
  },
  {
    id: "CS-DF-SUDO",
    bad: `${head}RUN sudo apt-get install -y --no-install-recommends x && rm -rf /var/lib/apt/lists/*\n${tail}`,
    lines: [2],
    good: [`${head}RUN echo sudo\n${tail}`],
  },
  {
    id: "CS-DF-CHMOD-WORLD-WRITABLE",
    bad: `${head}RUN chmod -R 777 /app\nRUN chmod o+w /data\n${tail}`,
    lines: [2, 3],
    good: [`${head}RUN chmod 1777 /tmp && chmod 755 /app && chmod +x /app/run\n${tail}`],
  },
  {
    id: "CS-DF-PRIVILEGED-LABEL",
    bad: `${head}LABEL run="docker run --privileged -v /:/host IMAGE"\nLABEL compose="privileged: true"\n${tail}`,
    lines: [2, 3],
    good: [`${head}LABEL run="docker run --gpus all IMAGE"\n${tail}`],
  },
  {
    id: "CS-DF-EXPOSE-SSH",
    bad: `${head}EXPOSE 8080 22/tcp\nHEALTHCHECK CMD ["true"]\n${tail}`,
    lines: [2],
    good: [`${head}EXPOSE 2222\nHEALTHCHECK NONE\n${tail}`],
  },
  {
    id: "CS-DF-APT-RECOMMENDS",
    bad: `${head}RUN apt-get update && apt-get -y install python3 && rm -rf /var/lib/apt/lists/*\n${tail}`,
    lines: [2],
    good: [
      `${head}RUN apt-get update && apt-get install -y --no-install-recommends python3 && rm -rf /var/lib/apt/lists/*\n${tail}`,
      `${head}RUN echo 'APT::Install-Recommends "0";' > /etc/apt/apt.conf.d/norecs\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*\n${tail}`,
    ],
  },
  {
    id: "CS-DF-APT-LISTS",
    bad: `${head}RUN apt-get update && apt-get install -y --no-install-recommends x\n${tail}`,
    lines: [2],
    good: [
      `${head}RUN --mount=type=cache,target=/var/lib/apt,sharing=locked apt-get update && apt-get install -y --no-install-recommends x\n${tail}`,
      `${head}RUN <<EOF\nset -e\napt-get update\napt-get install -y --no-install-recommends x\nrm -rf /var/lib/apt/lists/*\nEOF\n${tail}`,
    ],
  },
  {
    id: "CS-DF-APT-UPGRADE",
    bad: `${head}RUN apt-get update && apt-get -y dist-upgrade && rm -rf /var/lib/apt/lists/*\n${tail}`,
    lines: [2],
    good: [`${head}RUN apk add --no-cache python3\n${tail}`],
  },
  {
    id: "CS-DF-PIP-CACHE",
    bad: `${head}RUN pip install torch\nRUN python3 -m pip install -r req.txt\nRUN uv pip install vllm\n${tail}`,
    lines: [2, 3, 4],
    good: [
      `${head}RUN pip install --no-cache-dir torch\n${tail}`,
      `${head}RUN --mount=type=cache,target=/root/.cache/pip pip install torch\n${tail}`,
      `${head}ENV PIP_NO_CACHE_DIR=1\nRUN pip3 install torch\n${tail}`,
      `${head}RUN uv pip install --no-cache vllm && pip download x\n${tail}`,
    ],
  },
  {
    id: "CS-DF-DELETED-LATER",
    bad: `${head}COPY model.bin /models/model.bin\nRUN rm -rf /models\n${tail}`,
    lines: [3],
    good: [`${head}COPY . /src\nRUN cd /src && make && rm -rf /src/build\n${tail}`],
  },
  {
    id: "CS-DF-ADD-LOCAL",
    bad: `${head}ADD app/ /opt/app/\n${tail}`,
    lines: [2],
    good: [`${head}ADD rootfs.tar.gz /\n${tail}`],
  },
  {
    id: "CS-DF-HEALTHCHECK-MISSING",
    bad: `${head}EXPOSE 8000\n${tail}`,
    lines: [2],
    good: [
      `${head}EXPOSE 8000\nHEALTHCHECK CMD ["curl", "-f", "http://localhost:8000/health"]\n${tail}`,
      `${head}${tail}`,
    ],
  },
  {
    id: "CS-DF-WORKDIR-RELATIVE",
    bad: `${head}WORKDIR app\n${tail}`,
    lines: [2],
    good: [`${head}WORKDIR /app\nWORKDIR $HOME/app\n${tail}`],
  },
  {
    id: "CS-DF-COPY-CHOWN",
    bad: `${head}USER 10001\nCOPY data/ /data/\n`,
    lines: [3],
    good: [
      `${head}USER 10001\nCOPY --chown=10001:10001 data/ /data/\nCOPY bin/app /usr/local/bin/\nCOPY venv /opt/venv\n`,
      `${head}COPY data/ /data/\n${tail}`,
    ],
  },
  {
    id: "CS-DF-CMD-SHELL-FORM",
    bad: `${head}${tail}ENTRYPOINT python3 -m app\nCMD --port 8000\n`,
    lines: [3, 4],
    good: [
      `${head}${tail}ENTRYPOINT ["python3", "-m", "app"]\nCMD ["--port", "8000"]\n`,
      `${head}${tail}HEALTHCHECK CMD curl -f http://localhost:8000/health\n`,
      `${head}${tail}CMD exec python3 -m app --port "$PORT"\n`,
    ],
  },
  {
    id: "CS-DF-PIPEFAIL",
    bad: `${head}RUN wget -O - https://example.invalid/key | gpg --dearmor > /k.gpg\n${tail}`,
    lines: [2],
    good: [
      `${head}SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN wget -O - https://example.invalid/key | gpg --dearmor > /k.gpg\n${tail}`,
      `${head}RUN set -eo pipefail; wget -O - https://example.invalid/key | gpg --dearmor > /k.gpg\n${tail}`,
      `${head}RUN echo 'tzdata tzdata/Areas select America' | debconf-set-selections\n${tail}`,
      `${head}SHELL ["pwsh", "-c"]\nRUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value\n${tail}`,
    ],
  },
  {
    id: "CS-DF-PIPEFAIL",
    bad: `FROM ${RUNTIME} AS a\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nFROM ${RUNTIME}\nRUN curl -fsSL https://example.invalid/x | tar xz\n${tail}`,
    lines: [4],
    good: [
      `FROM ${RUNTIME} AS a\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nFROM a\nRUN curl -fsSL https://example.invalid/x | tar xz\n${tail}`,
    ],
  },
  {
    id: "CS-DF-RUN-CD",
    bad: `${head}RUN cd /opt/app && make\n${tail}`,
    lines: [2],
    good: [`${head}WORKDIR /opt/app\nRUN make\n${tail}`, `${head}RUN git clone x && cd x && make\n${tail}`],
  },
  {
    id: "CS-DF-RUN-CONSECUTIVE",
    bad: `${head}RUN foo && bar\nRUN foo\nRUN bar\n${tail}`,
    lines: [4],
    good: [
      `${head}RUN foo\nWORKDIR /\nRUN bar\n${tail}`,
      `${head}RUN foo && bar\nRUN foobar\n${tail}`,
      `${head}RUN --mount=type=secret,id=a foo\nRUN bar\n${tail}`,
    ],
  },
  { id: "CS-DF-MAINTAINER", bad: `${head}MAINTAINER me@example.invalid\n${tail}`, lines: [2], good: [] },
];

for (const c of CASES) {
  test(`${c.id} fires on lines ${c.lines.join(", ")} and not on the good variants`, () => {
    assert.deepEqual(fired(c.bad, c.id), c.lines);
    for (const good of c.good) assert.deepEqual(fired(good, c.id), [], good);
  });
}

test("every rule has a purpose-made bad case", () => {
  const covered = new Set(CASES.map((c) => c.id));
  assert.deepEqual(
    RULES.map((r) => r.id).filter((id) => !covered.has(id)),
    [],
  );
});

test("rule ids are unique and in the shared CS- id shape", () => {
  const ids = RULES.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.match(id, /^CS-DF-[A-Z0-9]+(-[A-Z0-9]+)*$/);
});

const GOOD = `# syntax=docker/dockerfile:1
ARG CUDA=12.4.1
FROM nvidia/cuda:\${CUDA}-devel-ubuntu22.04@${DIGEST} AS build
RUN --mount=type=cache,target=/var/lib/apt,sharing=locked \\
    --mount=type=cache,target=/var/cache/apt,sharing=locked \\
    apt-get update && apt-get install -y --no-install-recommends cmake
RUN --mount=type=cache,target=/root/.cache/pip pip install numpy
RUN --mount=type=secret,id=hf,env=HF_TOKEN python3 fetch.py
WORKDIR /src
COPY . .
RUN <<EOF
set -e
cmake -B build && cmake --build build
EOF

FROM nvidia/cuda:\${CUDA}-runtime-ubuntu22.04@${DIGEST}
RUN apt-get update \\
 && apt-get install -y --no-install-recommends python3 \\
 && rm -rf /var/lib/apt/lists/* \\
 && useradd -r -u 10001 app \\
 && chmod 1777 /tmp
COPY --from=build /src/build/server /opt/app/server
COPY --chown=10001:10001 config/ /data/
LABEL org.opencontainers.image.authors="ml-platform"
EXPOSE 8080
HEALTHCHECK CMD ["/opt/app/server", "--health"]
WORKDIR /opt/app
USER 10001
CMD ["/opt/app/server"]
`;

test("a well-written CUDA Dockerfile has no findings", () => {
  assert.deepEqual(
    lint(GOOD).map((f) => `${f.id}:${f.evidence.line}`),
    [],
  );
});

test("findings carry the shared shape: title, refs, fix, evidence with path, line, endLine and a redacted snippet", () => {
  const token = `hf_${"Q".repeat(34)}`;
  const [f] = lintDockerfile(`${head}ENV X=1 \\\n  Y=${token}\n${tail}`, { path: "svc/Dockerfile" }).findings;
  assert.equal(f.id, "CS-DF-SECRET-VALUE");
  assert.equal(f.severity, "critical");
  assert.ok(f.title && f.fix && f.refs.includes("CIS Docker 4.10"));
  assert.deepEqual(
    { ...f.evidence, snippet: undefined },
    { path: "svc/Dockerfile", line: 2, endLine: 3, snippet: undefined },
  );
  assert.ok(!JSON.stringify(f).includes(token), "the token never appears whole");
});

// A quadratic or worse path on these inputs runs for minutes; the timeout catches that without
// timing the happy path, which a busy machine would make flaky.
test("hostile input stays fast: nested substitutions, long continuations, many deletions", {
  timeout: 30_000,
}, () => {
  const inputs = [
    `${head}RUN ${"sh $( ".repeat(30_000)}\n`,
    `${head}RUN a \\\n${"  b \\\n".repeat(50_000)}\n`,
    `${head}${"COPY x /a/x\nRUN rm -rf /a/*\n".repeat(2_000)}`,
  ];
  for (const text of inputs) assert.ok(Array.isArray(lintDockerfile(text).findings));
});
