// The name rules live in the render core (it checks names again after
// Overrides, and output paths are built only from checked names).
export { dns1123Label, dns1123Subdomain } from '../core/names.js';
