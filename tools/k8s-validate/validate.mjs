// Validates rendered manifests (kubectl kustomize ... | node validate.mjs), offline:
//  - every built-in object against Kubernetes' API schemas (kubernetes-models),
//  - the operators' custom resources against schemas/ (the fields this project uses; unknown ones fail),
//  - the campaign's own rules: secrets referenced, never written; probes, requests and limits; 2+ instances with a
//    disruption budget, an autoscaler and a network policy each; migrations as a Job, never at start.
// Prints one line per problem and exits 1 if there is any; else a JSON summary of what it checked, and exits 0.
import { readFileSync } from "node:fs";
import Ajv from "ajv";
import { parseAllDocuments } from "yaml";

const documents = parseAllDocuments(readFileSync(0, "utf8")).map(d => d.toJSON()).filter(Boolean);
const problems = [];
const problem = (object, text) => problems.push(`${object.kind}/${object.metadata?.name}: ${text}`);

const ajv = new Ajv({ allErrors: true });
const custom = {
  "rabbitmq.com/v1beta1/RabbitmqCluster": ajv.compile(JSON.parse(readFileSync(new URL("schemas/rabbitmqcluster.json", import.meta.url)))),
  "postgresql.cnpg.io/v1/Cluster": ajv.compile(JSON.parse(readFileSync(new URL("schemas/cnpg-cluster.json", import.meta.url)))),
};

for (const object of documents) {
  const key = `${object.apiVersion}/${object.kind}`;
  if (custom[key]) {
    if (!custom[key](object))
      for (const e of custom[key].errors) problem(object, `${e.instancePath || "/"} ${e.message}`);
    continue;
  }
  let model;
  try {
    model = (await import(`kubernetes-models/${object.apiVersion}/${object.kind}`))[object.kind];
  } catch {
    problem(object, `${key} is not a Kubernetes API type this check knows (and no schema in schemas/ names it)`);
    continue;
  }
  try {
    new model(object).validate();
  } catch (e) {
    problem(object, e.message.split("\n")[0]);
  }
}

const all = kind => documents.filter(d => d.kind === kind);
const matches = (selector, labels) => Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v)
  && (selector?.matchExpressions ?? []).every(e => e.operator === "Exists" ? e.key in (labels ?? {})
    : e.operator === "In" ? e.values.includes(labels?.[e.key]) : true);
const secretish = /password|secret|token|key/i;
// A literal setting may carry a secret only as a $(VARIABLE) that comes from a secretKeyRef.
const literalSecret = value => /Password=(?!\$\()/i.test(value) || /:\/\/[^/@]*:(?!\$\()[^/@]+@/.test(value);

for (const secret of all("Secret"))
  problem(secret, "a Secret written into the manifests: reference secrets, create them outside the repository");

const configMaps = Object.fromEntries(all("ConfigMap").map(c => [c.metadata.name, c.data ?? {}]));
for (const map of all("ConfigMap"))
  for (const [name, value] of Object.entries(map.data ?? {}))
    if (literalSecret(String(value)) || (secretish.test(name) && !/ClientId|Authority/.test(name)))
      problem(map, `${name} looks like a secret in a ConfigMap`);

const workloads = [...all("Deployment"), ...all("Job")];
for (const workload of workloads) {
  const pod = workload.spec.template;
  for (const container of pod.spec.containers) {
    for (const env of container.env ?? [])
      if (env.value !== undefined && (literalSecret(env.value) || (secretish.test(env.name) && !/^\$\([A-Z_]+\)$/.test(env.value))))
        problem(workload, `env ${env.name} holds a secret literally: use valueFrom.secretKeyRef`);
    const r = container.resources ?? {};
    if (!r.requests?.cpu || !r.requests?.memory || !r.limits?.cpu || !r.limits?.memory)
      problem(workload, `container ${container.name} lacks cpu and memory requests and limits`);
    if (container.securityContext?.allowPrivilegeEscalation !== false || container.securityContext?.readOnlyRootFilesystem !== true)
      problem(workload, `container ${container.name} may escalate privileges or write its root filesystem`);
    if (workload.kind === "Deployment") {
      if (container.livenessProbe?.httpGet?.path !== "/health/live") problem(workload, "liveness probe is not /health/live");
      if (container.readinessProbe?.httpGet?.path !== "/health/ready") problem(workload, "readiness probe is not /health/ready");
      const settings = { ...Object.assign({}, ...(container.envFrom ?? []).map(f => configMaps[f.configMapRef?.name] ?? {})) };
      const usesDatabase = (container.env ?? []).some(e => e.name.startsWith("ConnectionStrings__") && /Host=/.test(e.value ?? ""));
      if (usesDatabase && settings.Database__ApplyMigrations !== "false")
        problem(workload, "applies migrations at start: set Database__ApplyMigrations to false and migrate in a Job");
      if (usesDatabase && !all("Job").some(j => j.spec.template.spec.containers.some(c => c.image === container.image && c.args?.[0] === "migrate")))
        problem(workload, `no migration Job runs ${container.image} migrate`);
    }
  }
  const labels = pod.metadata?.labels;
  if (!all("NetworkPolicy").some(p => p.spec.podSelector && Object.keys(p.spec.podSelector).length > 0 && matches(p.spec.podSelector, labels)))
    problem(workload, "no NetworkPolicy of its own selects its pods");
}

for (const deployment of all("Deployment")) {
  const labels = deployment.spec.template.metadata.labels;
  const single = deployment.metadata.annotations?.["campaign.example/single-instance"];
  if ((deployment.spec.replicas ?? 1) < 2 && !single)
    problem(deployment, "fewer than 2 replicas (annotate campaign.example/single-instance with the reason if that is meant)");
  if (single) continue;
  if (!all("PodDisruptionBudget").some(b => matches(b.spec.selector, labels)))
    problem(deployment, "no PodDisruptionBudget selects its pods");
  if (!all("HorizontalPodAutoscaler").some(h => h.spec.scaleTargetRef.kind === "Deployment" && h.spec.scaleTargetRef.name === deployment.metadata.name))
    problem(deployment, "no HorizontalPodAutoscaler scales it");
  if (deployment.spec.template.spec.terminationGracePeriodSeconds === undefined)
    problem(deployment, "no terminationGracePeriodSeconds for in-flight consumes to finish");
}

if (!all("NetworkPolicy").some(p => Object.keys(p.spec.podSelector ?? {}).length === 0 && p.spec.policyTypes?.includes("Ingress") && p.spec.policyTypes?.includes("Egress")))
  problems.push("no default-deny NetworkPolicy (an empty podSelector with Ingress and Egress)");

if (problems.length > 0) {
  for (const p of problems) console.log(p);
  process.exit(1);
}
console.log(JSON.stringify({
  objects: documents.length,
  namespaces: [...new Set(documents.map(d => d.metadata?.namespace))],
  deployments: Object.fromEntries(all("Deployment").map(d => [d.metadata.name, d.spec.replicas])),
  brokerReplicas: all("RabbitmqCluster").map(b => b.spec.replicas),
  databaseInstances: Object.fromEntries(all("Cluster").map(c => [c.metadata.name, c.spec.instances])),
  jobs: all("Job").map(j => j.metadata.name),
}));
