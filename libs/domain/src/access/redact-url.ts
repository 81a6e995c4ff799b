/** A URL as it may be shown in a log line or a detail: never its credentials; a string that is no URL as it is. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}
