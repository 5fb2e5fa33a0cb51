import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/js/**/*.test.ts"],
    // Pure units run in node; DOM tests opt into jsdom with a `@vitest-environment jsdom` comment.
    environment: "node",
    // This machine is shared: keep the worker count small.
    pool: "threads",
    poolOptions: { threads: { maxThreads: 2, minThreads: 1 } },
  },
});
