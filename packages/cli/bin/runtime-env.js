#!/usr/bin/env node
'use strict';
require('../dist/runtime-env.js');
