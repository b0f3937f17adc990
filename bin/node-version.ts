/** The oldest Node.js `npm run dev` runs on: older ones crash inside the embedded database. */
export const MIN_NODE_MAJOR = 22;

/** A message for a Node.js version too old to run the dev server, or `null`. */
export function nodeVersionProblem(version: string): string | null {
  const major = Number(version.split('.')[0]);
  if (Number.isInteger(major) && major >= MIN_NODE_MAJOR) return null;
  return `serverless-auth needs Node.js ${MIN_NODE_MAJOR} or later (24 recommended); this is Node.js ${version}. Install a newer Node.js (nvm install 24) and run npm run dev again.`;
}
