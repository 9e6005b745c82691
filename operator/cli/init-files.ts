// The files `gitfed init` writes (pure: clusters in, path -> text out). Every
// YAML file starts with a yaml-language-server line naming its JSON Schema,
// so editors complete and check it. No credentials: only context names.
import { stringify } from 'yaml';
import { schemaFile } from '../load/json-schema.js';
import { API_VERSION } from '../load/kind-fields.js';
import type { InitCluster } from './init-contexts.js';

/**
 * Kubernetes' own kinds (manifests/) use the community JSON Schemas that
 * kubeconform and yaml-language-server users rely on (yannh/kubernetes-json-schema);
 * gitfed's kinds use the schemas shipped with gitfed, copied into schemas/.
 */
export const KUBERNETES_SCHEMA_URL = 'https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master/v1.32.1-standalone-strict/all.json';

const modeline = (schema: string) => `# yaml-language-server: $schema=${schema}\n`;
const gitfedSchema = (kind: string) => modeline(`../schemas/${schemaFile(kind)}`);

function clusterFile(c: InitCluster): string {
  const spec: Record<string, unknown> = { context: c.context, provider: c.provider };
  if (c.gce) spec.gce = c.gce;
  const missing = c.provider === 'gce' ? (['project', 'zone'] as const).filter((k) => !c.gce?.[k]) : [];
  return gitfedSchema('Cluster') + [
    `# A member cluster, from kubeconfig context "${c.context}" (provider: ${c.source}).`,
    '# gitfed reaches it through that context; credentials never live in Git.',
    ...(missing.length ? [`# Add spec.gce.${missing.join(' and spec.gce.')}: the kubeconfig does not say.`] : []),
    ...(c.provider === 'other' ? ['# provider: other: gitfed does not manage the GLBC uid here; use gce for a GKE cluster.'] : []),
  ].join('\n') + '\n' + stringify({ apiVersion: API_VERSION, kind: 'Cluster', metadata: { name: c.name, labels: { fleet: 'main' } }, spec });
}

const fleetFile = (fleet: string) => gitfedSchema('Fleet') + `# Fleet-wide settings. The name goes into the gitfed.io/fleet label of every
# object gitfed applies, so prune only ever touches this fleet's objects.
apiVersion: ${API_VERSION}
kind: Fleet
metadata:
  name: ${fleet}
spec:
  allowPruneAll: false
`;

const nodePortsFile = () => gitfedSchema('NodePortPolicy') + `# Where shared node ports come from (at most one NodePortPolicy per fleet).
# GLBC joins every cluster into one backend only if the node port is the same
# everywhere: gitfed picks one free in ALL clusters, inside this range.
apiVersion: ${API_VERSION}
kind: NodePortPolicy
metadata:
  name: node-ports
spec:
  range: "30000-32767"   # the clusters' --service-node-port-range
  reserved: []           # never allocated by gitfed, e.g. [30080, "31000-31099"]
`;

const driftFile = () => gitfedSchema('DriftPolicy') + `# What to do when a live object no longer matches Git: report (default) or
# heal (re-apply, taking fields back from whoever changed them).
apiVersion: ${API_VERSION}
kind: DriftPolicy
metadata:
  name: default
spec:
  mode: report
`;

function rolloutFile(clusters: InitCluster[]): string {
  const canary = clusters[0]?.name ?? 'CLUSTER';
  return gitfedSchema('RolloutPolicy') + `# Rollout waves: uncomment to roll every new revision out wave by wave
# (canary first), gated on ready replicas and endpoints of the NEW revision,
# reverted on failure. Without it every cluster gets a new revision at once.
#
# apiVersion: ${API_VERSION}
# kind: RolloutPolicy
# metadata:
#   name: default
# spec:
#   waves:                                   # in order; a cluster in no wave goes last
#     - name: canary
#       clusters: { names: [${canary}] }
#       bake: 2m                             # gates must hold this long without a break
#     - name: rest
#       clusters: { matchLabels: { fleet: main } }
#       maxUnavailable: 1
#   gates:
#     readyReplicas: true
#     readyEndpoints: true
#     backendHealth: true
#   progressDeadline: 10m
#   onFailure: revert                        # revert | pause
`;
}

const nginxFile = (fleet: string) => modeline(KUBERNETES_SCHEMA_URL) + `# The seed's example: one nginx service behind ONE global HTTP(S) load
# balancer and ONE static IP, served from every member cluster.
apiVersion: v1
kind: Namespace
metadata:
  name: web
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  namespace: web
  labels:
    app: nginx
spec:
  replicas: 6            # the total; gitfed splits it over the Ready clusters
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
          ports:
            - containerPort: 80
          resources:
            requests:
              cpu: 10m
              memory: 16Mi
---
# GLBC needs a NodePort Service behind an Ingress. No nodePort here: gitfed
# picks one that is free in ALL clusters and keeps it.
apiVersion: v1
kind: Service
metadata:
  name: nginx
  namespace: web
spec:
  type: NodePort
  selector:
    app: nginx
  ports:
    - name: http
      port: 80
      targetPort: 80
      protocol: TCP
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: nginx
  namespace: web
  annotations:
    kubernetes.io/ingress.class: gce
    # A reserved global address (gcloud compute addresses create ${fleet}-ip --global):
    # every cluster's GLBC uses this one IP.
    kubernetes.io/ingress.global-static-ip-name: ${fleet}-ip
spec:
  defaultBackend:
    service:
      name: nginx
      port:
        number: 80
`;

const gitignoreFile = () => `# Credentials never go into the fleet repo.
*.kubeconfig
kubeconfig
*.key
*.pem
.git-credentials
git-credentials*
# Written by gitfed, not sources.
.gitfed-status/
.gitfed-sandbox/
`;

function readmeFile(fleet: string, clusters: InitCluster[]): string {
  const contexts = clusters.map((c) => c.context).join(',');
  return `# Fleet repo \`${fleet}\`

Written by \`gitfed init\`. gitfed renders everything under \`clusters/\`,
\`manifests/\` and \`policies/\` into every member cluster: one global load
balancer and one static IP for the Ingress, the same node port everywhere,
replicas split over the Ready clusters.

| path | what |
|---|---|
${clusters.map((c) => `| \`clusters/${c.name}.yaml\` | cluster \`${c.name}\` (context \`${c.context}\`, provider ${c.provider}) |`).join('\n')}
| \`policies/fleet.yaml\` | the fleet's name (the \`gitfed.io/fleet\` label) |
| \`policies/node-ports.yaml\` | the node port range shared by all clusters |
| \`policies/drift.yaml\` | report or heal drift |
| \`policies/rollout.yaml\` | rollout waves, commented out (uncomment to roll out canary first) |
| \`manifests/nginx.yaml\` | the example: Deployment, NodePort Service, Ingress with a static IP |
| \`schemas/\` | JSON Schemas of gitfed's kinds, for editors (each YAML file names its schema on line 1) |

## Next steps

1. Check the clusters (\`spec.gce.project\` and \`zone\` for GKE clusters) and
   reserve the static IP: \`gcloud compute addresses create ${fleet}-ip --global\`.
2. \`npx gitfed validate .\` (errors as file:line:col).
3. \`npx gitfed plan . --kubeconfig KUBECONFIG\`: what would change in each cluster.
4. Commit and push this directory to a Git repository.
5. Install the operator into one (host) cluster:
   \`npx gitfed bootstrap --repo URL --kubeconfig KUBECONFIG --host-context HOST --member-contexts ${contexts}\`

The kubeconfig itself is never part of this repository.
`;
}

/** Every file, relative path -> content (the schemas are copied separately). */
export function initFiles(fleet: string, clusters: InitCluster[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const c of clusters) files.set(`clusters/${c.name}.yaml`, clusterFile(c));
  files.set('policies/fleet.yaml', fleetFile(fleet));
  files.set('policies/node-ports.yaml', nodePortsFile());
  files.set('policies/drift.yaml', driftFile());
  files.set('policies/rollout.yaml', rolloutFile(clusters));
  files.set('manifests/nginx.yaml', nginxFile(fleet));
  files.set('.gitignore', gitignoreFile());
  files.set('README.md', readmeFile(fleet, clusters));
  return files;
}
