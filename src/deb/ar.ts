// The `ar` container of a .deb: `!<arch>\n`, then members with a 60-byte
// header each, bodies padded to an even length. Read as a stream.

import { CudasealError } from "../errors.ts";
import type { ByteSource } from "../tar/byte-source.ts";

export interface ArMember {
  name: string;
  size: number;
  /** The member's bytes; read them or skip() before the next member. */
  body: AsyncIterable<Buffer>;
  skip(): Promise<void>;
}

const MAGIC = "!<arch>\n";
const MAX_MEMBER = 16 * 1024 ** 3;

export async function* readAr(src: ByteSource, origin: string): AsyncGenerator<ArMember> {
  const magic = await src.read(MAGIC.length);
  if (!magic || magic.toString("latin1") !== MAGIC) {
    throw new CudasealError("DEB_INVALID", `${origin} is not a .deb (no ar header)`, {
      hint: "the file is corrupt or not a Debian package",
    });
  }
  for (;;) {
    if (await src.atEnd()) return;
    const header = await src.read(60);
    if (!header) return;
    if (header.toString("latin1", 58, 60) !== "`\n") {
      throw new CudasealError("DEB_INVALID", `${origin}: malformed ar member header`);
    }
    // GNU ar ends names with '/', BSD pads with spaces.
    const name = header.toString("latin1", 0, 16).trimEnd().replace(/\/$/, "");
    const sizeText = header.toString("latin1", 48, 58).trim();
    const size = Number(sizeText);
    if (!/^\d+$/.test(sizeText) || size > MAX_MEMBER) {
      throw new CudasealError("DEB_INVALID", `${origin}: ar member ${name} has a bad size`);
    }
    let remaining = size;
    const body = async function* () {
      for await (const chunk of src.take(remaining)) {
        remaining -= chunk.length;
        yield chunk;
      }
    };
    yield {
      name,
      size,
      body: body(),
      skip: async () => {
        await src.skip(remaining);
        remaining = 0;
      },
    };
    if (remaining > 0) await src.skip(remaining);
    if (size % 2 === 1 && !(await src.atEnd())) await src.skip(1);
  }
}
