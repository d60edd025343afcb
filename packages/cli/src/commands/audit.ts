import * as path from 'node:path';
import {
  auditDockerfile,
  auditRootfs,
  ConfigError,
  declaredNames,
  errnoCode,
  ExitCode,
  looksSecret,
  Sources,
  type AuditFinding,
  type RootfsAuditResult,
  type SecretSink,
} from '@comfy-secrets/core';
import type { CliContext } from '../context';
import type { Paint } from '../colour';
import { print } from '../output';
import type { CommandSpec } from '../args';
import { defaultComfyuiDir, discoveryOptions, loadSinks, type RunFlags } from '../options';

interface AuditFlags extends Pick<RunFlags, 'plugin' | 'project' | 'configNodes' | 'noConfigNodes' | 'json' | 'envFile' | 'override' | 'secretsDir'> {
  dockerfile: string[];
  rootfs?: string;
  comfyuiDir?: string;
  maxFileSize?: number;
}

export const auditCommand: CommandSpec<AuditFlags> = {
  name: 'audit',
  description: 'check an image for baked-in secrets: secret ARG/ENV in a Dockerfile, secret files in a root file system',
  options: [
    ...discoveryOptions,
    { name: 'dockerfile', value: '<file>', repeatable: true, description: 'flag ARG/ENV whose names look secret or that an installed sink reads (repeatable)' },
    { name: 'rootfs', value: '<dir>', description: 'an unpacked image or container file system: find sink files already present and files holding a current secret value' },
    { name: 'comfyui-dir', value: '<dir>', description: 'the ComfyUI root inside --rootfs (default: $COMFYUI_PATH, else $WORKSPACE_PATH/ComfyUI, else /workspace/ComfyUI)' },
    { name: 'env-file', short: 'f', value: '<file>', repeatable: true, description: 'also take secret values to look for from a dotenv file (repeatable)' },
    { name: 'override', description: 'let --env-file values win over the real environment' },
    { name: 'secrets-dir', value: '<dir>', description: 'also take secret values from this directory (one file per variable)' },
    { name: 'max-file-size', value: '<bytes>', parse: parseSize, description: 'skip files bigger than this in --rootfs (default 16 MiB)' },
  ],
  epilog: '\nExit 0 when nothing was found, 1 when something was (info lines alone do not fail), 2 on a usage error.\nFindings name files, lines and variables, never values.',
  run: (flags, _args, context) => runAudit(flags, context),
};

function parseSize(value: string): number {
  if (!/^\d+$/.test(value)) throw new ConfigError('BAD_OPTION', `--max-file-size takes a number of bytes (got '${value}')`);
  return Number(value);
}

function runAudit(flags: AuditFlags, context: CliContext): number {
  if (flags.dockerfile.length === 0 && !flags.rootfs) throw new ConfigError('BAD_USAGE', 'audit needs --dockerfile FILE and/or --rootfs DIR');
  const sinks = loadSinks(flags, context).map((loaded) => loaded.sink);
  const findings: AuditFinding[] = [];
  for (const dockerfile of flags.dockerfile) {
    let source: string;
    try {
      source = context.fs.readFileSync(path.resolve(context.cwd, dockerfile), 'utf8');
    } catch (error) {
      throw new ConfigError('FILE_UNREADABLE', `cannot read --dockerfile ${dockerfile} (${errnoCode(error) ?? 'error'})`, { file: dockerfile, cause: error });
    }
    findings.push(...auditDockerfile(source, dockerfile, sinks));
  }

  let rootfs: RootfsAuditResult | undefined;
  if (flags.rootfs) {
    const sources = new Sources({ env: context.env, envFiles: flags.envFile, override: flags.override, secretsDir: flags.secretsDir, cwd: context.cwd, fs: context.fs });
    const secrets = secretValues(sinks, sources);
    for (const [, value] of secrets) context.redactor.add(value);
    rootfs = auditRootfs({
      fs: context.fs,
      rootfs: path.resolve(context.cwd, flags.rootfs),
      comfyuiDir: flags.comfyuiDir ?? defaultComfyuiDir(context.env),
      sinks,
      secrets: [...secrets],
      maxFileSize: flags.maxFileSize,
    });
    findings.push(...rootfs.findings);
  }

  const failing = findings.filter((finding) => finding.severity === 'error').length;
  const exitCode = failing > 0 ? ExitCode.sinkFailed : ExitCode.ok;
  const document = { command: 'audit', exitCode, findings, rootfs: rootfs && { scanned: rootfs.scanned, skipped: rootfs.skipped, tooShort: rootfs.tooShort } };
  print(context, flags.json, document, () => formatAudit(findings, rootfs), colourAudit);
  return exitCode;
}

/** The current value of every secret variable: those the sinks read as secret, and any set variable whose name looks secret. */
function secretValues(sinks: readonly SecretSink[], sources: Sources): Map<string, string> {
  const names = new Set<string>();
  // The _ENCODED twins are left to lookup(name), which decodes them: their raw text is no secret's value.
  for (const [name, { secret }] of declaredNames(sinks)) if (secret && !name.endsWith('_ENCODED')) names.add(name);
  for (const name of sources.names()) {
    // NAME_ENCODED and NAME_FILE are forms of NAME: lookup(NAME) decodes the one and reads the file the other names.
    const base = name.replace(/_(ENCODED|FILE)$/, '');
    if (looksSecret(name) || looksSecret(base)) names.add(base);
  }
  const values = new Map<string, string>();
  for (const name of names) {
    try {
      const found = sources.lookup(name);
      if (found) values.set(found.origin, found.value);
    } catch {
      // an invalid or conflicting source is run's business; audit looks for what it can read
    }
  }
  return values;
}

function formatAudit(findings: readonly AuditFinding[], rootfs: RootfsAuditResult | undefined): string {
  const lines: string[] = [];
  for (const finding of findings) {
    const where = finding.line === undefined ? finding.file : `${finding.file}:${finding.line}`;
    lines.push(`${finding.severity === 'error' ? 'FOUND' : 'info '} ${where}: ${finding.message}`);
  }
  if (rootfs) {
    const { large, unreadable, special } = rootfs.skipped;
    lines.push(`scanned ${rootfs.scanned} files (skipped ${large} large, ${unreadable} unreadable, ${special} special)`);
    if (rootfs.tooShort.length) lines.push(`not searched for (value under 8 characters): ${rootfs.tooShort.join(', ')}`);
  }
  const failing = findings.filter((finding) => finding.severity === 'error').length;
  lines.push(failing === 0 ? 'audit: clean' : `audit: ${failing} finding${failing === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}

/** The audit, redacted, with each finding and the verdict in colour. */
function colourAudit(redacted: string, paint: Paint): string {
  return redacted
    .replace(/^FOUND\b/gm, (word) => paint(['bold', 'red'], word))
    .replace(/^audit: clean$/m, (line) => paint('green', line))
    .replace(/^audit: \d+ findings?$/m, (line) => paint(['bold', 'red'], line));
}
