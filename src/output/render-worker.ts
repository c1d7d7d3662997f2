/**
 * A render worker: builds and serializes its share of a deployment's files from the model,
 * then compares and stages each one as the main thread would (see `parallel-render.ts`).
 */
import { parentPort, workerData } from "node:worker_threads";
import { planDeploymentFiles } from "../generate/plan.js";
import { compareAndStage } from "./compare.js";
import type { RenderJob } from "./parallel-render.js";
import { createSerializer, generatedHeader } from "./serialize.js";

const job = workerData as RenderJob;
// Only the files' bytes are needed here; a constant fingerprint skips hashing every profile's inputs.
const planned = new Map(planDeploymentFiles(job.deployment, () => "").map((file) => [file.path, file]));
const serializer = createSerializer();
const header = generatedHeader(job.deployment.varsFile);

const results = job.paths.map((file) => {
  const plannedFile = planned.get(file);
  if (plannedFile === undefined)
    throw new Error(`render worker: ${file} is not a file of ${job.deployment.name}`);
  return compareAndStage(
    job.target,
    file,
    Buffer.from(serializer.serializeFile(plannedFile.build(), header)),
  );
});
parentPort?.postMessage(results);
