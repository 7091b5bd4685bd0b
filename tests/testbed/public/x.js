// Served by example.test over http: the mixed active content of /mixed-active.
window.crmGuardTestbedMixed = true;
