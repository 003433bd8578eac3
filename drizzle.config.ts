import { defineConfig } from 'drizzle-kit';

// Only used to generate migrations (`npm run db:generate`); Hearth applies them itself at start.
export default defineConfig({
  dialect: 'postgresql',
  // Each capability keeps its tables beside its code; one migration history serves them all.
  schema: ['./src/db/schema.ts', './src/*/schema.ts'],
  out: './drizzle',
});
