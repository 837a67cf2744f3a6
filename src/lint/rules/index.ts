// Every Dockerfile rule, in the order docs/lint.md lists them.

import type { Rule } from "../rule.ts";
import { addLocal, addUrl } from "./add.ts";
import { baseLatest, baseUnpinned, cudaDevelFinal } from "./base-image.ts";
import { deletedLater, secretDeleted } from "./deleted-later.ts";
import { aptLists, aptRecommends, packageUpgrade, pipCache } from "./packages.ts";
import { chmodWorldWritable, curlPipeShell, sudo } from "./run-commands.ts";
import { pipefail, runCd, runConsecutive } from "./run-structure.ts";
import {
  cmdShellForm,
  exposeSsh,
  healthcheckMissing,
  maintainer,
  privilegedLabel,
  workdirRelative,
} from "./runtime-config.ts";
import { secretArg, secretEnv, secretFile, secretValue } from "./secrets.ts";
import { emptyContinuation, jsonFormInvalid, noFrom, unknownInstruction } from "./syntax.ts";
import { copyChown, userMissing, userRoot } from "./user.ts";
import { badSubstitution, baseUnknown, varRequired } from "./variables.ts";

export const RULES: readonly Rule[] = [
  unknownInstruction,
  noFrom,
  jsonFormInvalid,
  emptyContinuation,
  badSubstitution,
  varRequired,
  userRoot,
  userMissing,
  secretValue,
  secretFile,
  secretDeleted,
  secretArg,
  secretEnv,
  curlPipeShell,
  addUrl,
  baseLatest,
  baseUnpinned,
  cudaDevelFinal,
  baseUnknown,
  sudo,
  chmodWorldWritable,
  privilegedLabel,
  exposeSsh,
  cmdShellForm,
  pipefail,
  aptRecommends,
  aptLists,
  packageUpgrade,
  pipCache,
  deletedLater,
  addLocal,
  healthcheckMissing,
  workdirRelative,
  runCd,
  runConsecutive,
  copyChown,
  maintainer,
];
