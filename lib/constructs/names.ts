/** `auditTable` → `AuditTable`: construct ids (and so logical ids) follow the manifest's ids. */
export const constructId = (manifestId: string): string => manifestId.charAt(0).toUpperCase() + manifestId.slice(1);

/** `Object.entries` that keeps the key type of a manifest record. */
export function entriesOf<K extends string, V>(record: Readonly<Record<K, V>>): [K, V][] {
  return Object.entries(record) as [K, V][];
}
