export function registryPlaceholder(): i32 { return 0; }
