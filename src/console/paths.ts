// The console's own addresses that other parts of the server hand out (URL-mode elicitation).

/** The page for one approval, under the console's URL (`http://host:port/console`). */
export const approvalPage = (consoleUrl: string, id: string) =>
  `${consoleUrl}/approvals/${encodeURIComponent(id)}`;
