/* placeholder: filled in by the service-client work (issue 3) */
