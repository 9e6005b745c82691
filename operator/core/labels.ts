// Labels and annotations gitfed puts on what it renders. Ownership labels let
// prune find exactly this fleet's objects; nothing here changes per revision,
// so an unchanged manifest never causes a write.

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'gitfed';
export const FLEET_LABEL = 'gitfed.io/fleet';
/** Source file in the fleet repo (an annotation: paths may exceed label limits). */
export const SOURCE_ANNOTATION = 'gitfed.io/source';
/** Objects gitfed must never delete on prune, e.g. the GLBC uid ConfigMap. */
export const NO_PRUNE_ANNOTATION = 'gitfed.io/prune';

export const FIELD_MANAGER = 'gitfed';

export const STATIC_IP_ANNOTATION = 'kubernetes.io/ingress.global-static-ip-name';
export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
export const CLUSTER_SELECTOR_ANNOTATION = 'federation.alpha.kubernetes.io/cluster-selector';
export const RS_PREFERENCES_ANNOTATION = 'federation.kubernetes.io/replica-set-preferences';
export const DEPLOYMENT_PREFERENCES_ANNOTATION = 'federation.kubernetes.io/deployment-preferences';

export const INGRESS_UID_NAMESPACE = 'kube-system';
export const INGRESS_UID_NAME = 'ingress-uid';

/** GLBC's own annotations on an Ingress (ingress.kubernetes.io/...). */
export const GLBC_BACKENDS_ANNOTATION = 'ingress.kubernetes.io/backends';
export const GLBC_FORWARDING_RULE_ANNOTATION = 'ingress.kubernetes.io/forwarding-rule';
export const GLBC_URL_MAP_ANNOTATION = 'ingress.kubernetes.io/url-map';
