-- pgvector powers long-term memory. drizzle-kit does not emit CREATE EXTENSION, so it lives here,
-- first, before any table can use the vector type.
CREATE EXTENSION IF NOT EXISTS vector;
