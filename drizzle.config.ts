import { defineConfig } from 'drizzle-kit';

// Only used to generate migrations (`npm run db:generate`); Hearth applies them itself at start.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './drizzle',
});
