/** Resolves at the first SIGINT or SIGTERM, keeping the process alive until then. */
export function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    // An interval keeps the event loop alive: child processes (a control plane) do not.
    const keepAlive = setInterval(() => {}, 1 << 30);
    const onSignal = () => {
      clearInterval(keepAlive);
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
      resolve();
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
}
