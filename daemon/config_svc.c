/* config_svc.c: placeholder until implemented. */
typedef int kcw_placeholder_config_svc;
