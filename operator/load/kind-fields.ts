// The fields of every gitfed.io/v1alpha1 kind, declared once. The loader
// checks each document against this table (types, allowed values, required
// and unknown fields: check-fields.ts) before the per-kind parsers in
// config-objects.ts read it, and the JSON Schemas editors use are generated
// from it (json-schema.ts). A field added to a parser must be added here: the
// schema test feeds this table's examples through the real loader.

export type FieldType =
  | { type: 'string'; enum?: readonly string[]; pattern?: string; maxLength?: number }
  | { type: 'boolean' }
  | { type: 'integer'; minimum?: number; maximum?: number }
  | { type: 'number'; minimum?: number }
  | { type: 'null' }
  /** A string, number or boolean (selector values the loader turns into strings). */
  | { type: 'scalar' }
  /** Anything (a JSON Patch value). */
  | { type: 'any' }
  | { type: 'list'; items: Field; minItems?: number }
  /** A mapping with free keys, every value of one type (labels, per-cluster preferences). */
  | { type: 'map'; values: Field }
  /**
   * A mapping with known keys. `open`: other keys are allowed (metadata).
   * `oneOfRequired`: at least one of these keys must be present.
   */
  | { type: 'object'; fields: Record<string, Field>; required?: readonly string[]; oneOfRequired?: readonly string[]; open?: boolean }
  | { type: 'oneOf'; options: readonly Field[] };

export type Field = FieldType & {
  description?: string;
  /** A valid value (tests and editors); derived from the type when absent. */
  example?: unknown;
};

export const API_VERSION = 'gitfed.io/v1alpha1';

const DNS_LABEL = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 } as const;
const DURATION = { type: 'string', pattern: '^\\d+(\\.\\d+)?(ms|s|m|h)$', example: '2m' } as const;
const PORT_RANGE = { type: 'string', pattern: '^\\s*\\d+\\s*-\\s*\\d+\\s*$', example: '30000-32767', description: 'a range of ports "LOW-HIGH", 1 <= LOW <= HIGH <= 65535' } as const;
const STRING_MAP = { type: 'map', values: { type: 'string' } } as const;
const RESOURCE_RULES: Field = {
  type: 'list', description: 'patterns ("*" matches anything); an object matches a rule when every field given matches',
  items: {
    type: 'object',
    fields: { group: { type: 'string', example: 'apps' }, kind: { type: 'string', example: 'Deployment' }, namespace: { type: 'string', example: 'web-*' } },
  },
};

const metadata = (name: FieldType): Field => ({
  type: 'object', open: true, required: ['name'],
  fields: {
    name: name as Field,
    labels: { ...STRING_MAP, description: 'string values only (quote numbers and booleans)', example: { env: 'prod' } },
    annotations: { ...STRING_MAP, example: { note: 'text' } },
  },
});

const clusterSelector: Field = {
  type: 'object', description: 'which clusters: names, matchLabels and/or matchExpressions (all must match)',
  fields: {
    names: { type: 'list', items: { type: 'string' }, example: ['us-east1'] },
    matchLabels: { ...STRING_MAP, example: { env: 'prod' } },
    matchExpressions: {
      type: 'list',
      items: {
        type: 'object', required: ['key', 'operator'],
        fields: {
          key: { type: 'string', example: 'region' },
          operator: { type: 'string', enum: ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'] },
          values: { type: 'list', items: { type: 'scalar' }, example: ['us-east1'] },
        },
      },
    },
  },
};

const resourceList: Field = {
  type: 'list', description: 'the federated objects this applies to',
  items: {
    type: 'object', required: ['kind', 'name'],
    fields: { kind: { type: 'string', example: 'Deployment' }, name: { type: 'string', example: 'nginx' }, namespace: { type: 'string', example: 'web' } },
  },
};

const resourceSelector = { type: 'object', fields: { matchLabels: { ...STRING_MAP, example: { app: 'nginx' } } } } as const satisfies Field;

const replicaPreference: Field = {
  type: 'object',
  fields: {
    weight: { type: 'integer', minimum: 0 },
    minReplicas: { type: 'integer', minimum: 0 },
    maxReplicas: { type: 'oneOf', options: [{ type: 'integer', minimum: 0 }, { type: 'null' }], description: 'null: no maximum' },
  },
};

/** kind -> the fields of its `spec` (metadata, apiVersion and kind are common). */
export interface KindFields {
  description: string;
  /** A rule for metadata.name beyond "a string" (the parser checks it too). */
  name?: FieldType;
  spec: Field & { type: 'object' };
  specRequired?: boolean;
}

export const KIND_FIELDS: Record<string, KindFields> = {
  Cluster: {
    description: 'A member cluster gitfed applies to. Credentials never live in Git: spec.context names a kubeconfig context.',
    name: DNS_LABEL,
    spec: {
      type: 'object',
      fields: {
        context: { type: 'string', description: 'kubeconfig context (default: the cluster name)', example: 'us-east1' },
        provider: { type: 'string', enum: ['gce', 'other'], description: 'gce (default): gitfed manages the GLBC uid ConfigMap here' },
        gce: {
          type: 'object', description: 'two GCE clusters may not share a project and zone',
          fields: { project: { type: 'string', example: 'my-project' }, zone: { type: 'string', example: 'us-east1-b' } },
        },
        paused: { type: 'boolean', description: 'true: kept in the fleet, nothing applied' },
      },
    },
  },
  NodePortPolicy: {
    description: 'Where shared node ports come from (at most one per fleet).',
    spec: {
      type: 'object',
      fields: {
        range: { ...PORT_RANGE, description: 'the clusters\' --service-node-port-range (default "30000-32767")' },
        reserved: {
          type: 'list', description: 'never allocated by gitfed: ports or ranges', example: [30080, '31000-31099'],
          items: { type: 'oneOf', options: [{ type: 'integer', minimum: 1, maximum: 65535 }, { type: 'string', pattern: '^\\s*\\d+\\s*$', example: '30080', description: 'one port, quoted' }, PORT_RANGE] },
        },
      },
    },
  },
  Placement: {
    description: 'Which clusters get which objects, and how replicas are split (Federation v1 preferences).',
    specRequired: true,
    spec: {
      type: 'object', oneOfRequired: ['resources', 'selector'],
      fields: {
        resources: resourceList,
        selector: resourceSelector,
        clusters: clusterSelector,
        replicas: {
          type: 'object', required: ['clusters'], description: 'Federation v1 replica-set preferences',
          fields: {
            rebalance: { type: 'boolean' },
            clusters: { type: 'map', values: replicaPreference, description: 'cluster name or "*" -> {weight, minReplicas, maxReplicas}', example: { '*': { weight: 1 } } },
          },
        },
      },
    },
  },
  Override: {
    description: 'RFC 6902 JSON Patches applied to some objects in some clusters.',
    specRequired: true,
    spec: {
      type: 'object', required: ['patches'], oneOfRequired: ['resources', 'selector'],
      fields: {
        resources: resourceList,
        selector: resourceSelector,
        clusters: clusterSelector,
        patches: {
          type: 'list', description: 'add/replace/test need "value", move/copy need "from"',
          example: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:1.27' }],
          items: {
            type: 'object', required: ['op', 'path'],
            fields: {
              op: { type: 'string', enum: ['add', 'remove', 'replace', 'move', 'copy', 'test'] },
              path: { type: 'string', pattern: '^(/.*)?$', description: 'a JSON pointer like /spec/replicas', example: '/metadata/labels/tier' },
              from: { type: 'string', pattern: '^(/.*)?$', example: '/metadata/labels/app' },
              value: { type: 'any' },
            },
          },
        },
      },
    },
  },
  DriftPolicy: {
    description: 'What to do when a live object no longer matches Git.',
    spec: {
      type: 'object',
      fields: {
        mode: { type: 'string', enum: ['report', 'heal'], description: 'report (default) or heal (re-apply, taking fields back)' },
        resources: resourceList,
        selector: resourceSelector,
      },
    },
  },
  Fleet: {
    description: 'Fleet-wide settings; the name goes into the gitfed.io/fleet label (at most one per fleet).',
    name: DNS_LABEL,
    spec: {
      type: 'object',
      fields: {
        allowPruneAll: { type: 'boolean', description: 'allow a prune that deletes everything this fleet owns in a cluster' },
        resources: {
          type: 'object', description: 'guardrails: which objects this fleet may touch (default: all)',
          fields: { allow: RESOURCE_RULES, deny: RESOURCE_RULES },
        },
      },
    },
  },
  RolloutPolicy: {
    description: 'Health-gated rollout waves across clusters (at most one per fleet): each new revision goes wave by wave, gated on the target revision, with bake, deadline, revert or pause.',
    specRequired: true,
    spec: {
      type: 'object', required: ['waves'],
      fields: {
        waves: {
          type: 'list', minItems: 1, description: 'in order; a cluster in no wave goes last',
          items: {
            type: 'object', required: ['name', 'clusters'],
            fields: {
              name: { type: 'string', example: 'canary' },
              clusters: clusterSelector,
              bake: { ...DURATION, description: 'gates must hold this long without a break' },
              approval: { type: 'boolean', description: 'true: wait for `gitfed rollout approve`' },
              maxUnavailable: { type: 'integer', minimum: 1, description: 'clusters of this wave changed at once (default 1)' },
            },
          },
        },
        gates: {
          type: 'object', description: 'all must hold in every cluster of the wave',
          fields: {
            readyReplicas: { type: 'boolean' },
            readyEndpoints: { type: 'boolean' },
            backendHealth: { type: 'boolean' },
            prometheus: {
              type: 'object', required: ['url', 'query', 'max'],
              fields: {
                url: { type: 'string', example: 'http://prometheus.monitoring:9090' },
                query: { type: 'string', example: 'sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))' },
                max: { type: 'number', example: 0.01 },
              },
            },
          },
        },
        progressDeadline: { ...DURATION, example: '10m' },
        onFailure: { type: 'string', enum: ['revert', 'pause'] },
        paused: { type: 'boolean' },
      },
    },
  },
};

/** The whole document of a kind, as one object field (what the walker and the generator start from). */
export function documentFields(kind: string): Field & { type: 'object' } {
  const k = KIND_FIELDS[kind]!;
  return {
    type: 'object', required: ['apiVersion', 'kind', 'metadata', ...(k.specRequired ? ['spec'] : [])], description: k.description,
    fields: {
      apiVersion: { type: 'string', enum: [API_VERSION] },
      kind: { type: 'string', enum: [kind] },
      metadata: metadata(k.name ?? { type: 'string' }),
      spec: k.spec,
    },
  };
}
