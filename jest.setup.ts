// tsyringe needs the Reflect metadata API before any decorated class is defined.
import 'reflect-metadata';
