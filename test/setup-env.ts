// Runs before every test file. DATABASE_URL (CI sets it) is for the Postgres tests only, which read it
// from here: a server or CLI a test starts inherits the environment, and must not find it there.
if (process.env.DATABASE_URL) {
  process.env.MCP_STRIPE_TEST_DATABASE_URL = process.env.DATABASE_URL;
  delete process.env.DATABASE_URL;
}
