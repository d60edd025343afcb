// The image audit: secrets baked into a Dockerfile or a root filesystem, found before they ship.
export { auditDockerfile, auditRootfs, base64Forms, declaredNames, sourceNames, looksSecret, parseDockerfile, RUNTIME_ADVICE, SECRET_NAME_PATTERN, type AuditFinding, type FindingKind, type RootfsAuditOptions, type RootfsAuditResult } from './audit';
